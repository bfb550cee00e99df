// `selfstudy report` on a synthetic study directory with known numbers.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "ss/exp/report.h"
#include "ss/io/atomic_file.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace ss::app;

namespace {

struct TempDir {
  std::string path;
  explicit TempDir(const std::string& tag) {
    path = (fs::temp_directory_path() / ("ss_report_" + tag + "_" + std::to_string(::getpid()))).string();
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    if (std::getenv("SS_REPORT_KEEP")) return;  // keep the study to look at the report
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

void put(const std::string& file, const std::string& text) {
  fs::create_directories(fs::path(file).parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

int counter = 0;
void train_point(const std::string& dir, const std::string& ds, const std::string& model, const std::string& method,
                 double n, double acc, int freeze = 0, bool linear = false, int seed = 0,
                 const std::string& task = "classify") {
  const std::string metric = task == "segment" ? "pixel_accuracy" : "class_accuracy";
  json j = {{"point",
             {{"kind", "train"}, {"dataset", ds}, {"task", task}, {"model", model}, {"method", method},
              {"n", n}, {"freeze", freeze}, {"linear", linear}, {"seed", seed}}},
            {"primary_metric", metric},
            {"best_valid", {{metric, acc + 0.01}, {"loss", 1.0}}},
            {"test_at_best_valid", {{metric, acc}, {"loss", 1.1}}},
            {"model", model + " width=0.25"},
            {"wall_s", 12.5},
            {"img_per_s", 800.0},
            {"curve", json::array()}};
  put(dir + "/points/t" + std::to_string(counter++) + "/result.json", j.dump(1));
}

// A 1x1 PNG.
const unsigned char kPng[] = {0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44,
                              0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f,
                              0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8,
                              0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00,
                              0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

// Scratch a(n) = 0.4, 0.6, 0.8 at n = 100, 1000, 10000 (ResNet9, dataset 1111), so with log-n
// interpolation every utility below is known in closed form.
void make_study(const std::string& d) {
  put(d + "/study.toml", "# quick preset\nname = \"synthetic\"\n[sweep]\nn = [100, 1000, 10000]\nseeds = [0]\n");
  json meta = {{"name", "synthetic"},
               {"preset", "quick"},
               {"started", "2024-01-01T00:00:00Z"},
               {"host", {{"cpu", "Test CPU"}, {"cores", 2}, {"gpu", nullptr}, {"build", "Release"}}},
               {"phases", {{"render", 60.0}, {"pretrain", 600.0}, {"train", 900.0}}},
               {"notes", {"reduced width 0.25 (paper: 1.0)"}}};
  put(d + "/study.json", meta.dump(1));
  for (auto [n, a] : {std::pair{100.0, 0.4}, {1000.0, 0.6}, {10000.0, 0.8}}) train_point(d, "1111", "resnet9", "scratch", n, a);
  // rotation: U(100) = 1000/100 - 1 = 9 exactly; U(1000) = sqrt(1e7)/1000 - 1 = 2.16; U(10000) = 0
  train_point(d, "1111", "resnet9", "rotation", 100, 0.6);
  train_point(d, "1111", "resnet9", "rotation", 1000, 0.7);
  train_point(d, "1111", "resnet9", "rotation", 10000, 0.8);
  // vae: below the sweep at 100 (bound 100/100 - 1 = 0), U(1000) = sqrt(1e5)/1000 - 1 = -0.68
  train_point(d, "1111", "resnet9", "vae", 100, 0.3);
  train_point(d, "1111", "resnet9", "vae", 1000, 0.5);
  // cmc: U(100) = 10^3.5/100 - 1 = 30.62; beyond the sweep at 1000: "> 9.00"
  train_point(d, "1111", "resnet9", "cmc", 100, 0.7);
  train_point(d, "1111", "resnet9", "cmc", 1000, 0.85);
  // amdim, two seeds at n = 100: mean 0.6 -> U 9.00; seeds 0.55 -> 10^2.75/100 - 1 = 4.62, 0.65 -> 16.78
  train_point(d, "1111", "resnet9", "amdim", 100, 0.55, 0, false, 0);
  train_point(d, "1111", "resnet9", "amdim", 100, 0.65, 0, false, 1);
  // frozen layers at n = 1000
  for (int k = 1; k <= 4; ++k) {
    train_point(d, "1111", "resnet9", "rotation", 1000, 0.7 - 0.05 * k, k);
    train_point(d, "1111", "resnet9", "cmc", 1000, 0.85 - 0.1 * k, k);
  }
  // linear evaluation
  for (auto [n, a] : {std::pair{100.0, 0.2}, {1000.0, 0.25}}) train_point(d, "1111", "resnet9", "scratch", n, a, 0, true);
  for (auto [n, a] : {std::pair{100.0, 0.35}, {1000.0, 0.45}}) train_point(d, "1111", "resnet9", "rotation", n, a, 0, true);
  // a second model and a second (easier) dataset
  for (auto [n, a] : {std::pair{100.0, 0.45}, {1000.0, 0.7}, {10000.0, 0.85}}) train_point(d, "1111", "resnet50", "scratch", n, a);
  train_point(d, "1111", "resnet50", "rotation", 100, 0.7);
  for (auto [n, a] : {std::pair{100.0, 0.7}, {1000.0, 0.9}, {10000.0, 0.95}}) train_point(d, "0000", "resnet9", "scratch", n, a);
  train_point(d, "0000", "resnet9", "rotation", 100, 0.75);
  train_point(d, "0000", "resnet9", "rotation", 1000, 0.9);
  // dense task
  for (auto [n, a] : {std::pair{100.0, 0.5}, {1000.0, 0.7}}) train_point(d, "1111", "resnet9", "scratch", n, a, 0, false, 0, "segment");
  train_point(d, "1111", "resnet9", "rotation", 100, 0.7, 0, false, 0, "segment");
  // pretraining and rendering
  put(d + "/points/p0/result.json",
      json({{"point", {{"kind", "pretrain"}, {"dataset", "1111"}, {"model", "resnet9"}, {"method", "rotation"}, {"seed", 0}}},
            {"final_loss", 0.5},
            {"pretext_accuracy", 0.8},
            {"loss_curve", {1.4, 1.0, 0.7, 0.5}},
            {"wall_s", 100.0},
            {"img_per_s", 500.0}})
          .dump());
  // the study runner's format: per-epoch records, the point's own wall time
  put(d + "/points/p1/result.json",
      json({{"point", {{"kind", "pretrain"}, {"dataset", "1111"}, {"model", "resnet9"}, {"method", "cmc"}, {"seed", 0}}},
            {"epochs", {{{"epoch", 1}, {"loss", 9.0}, {"accuracy", 0.1}}, {{"epoch", 2}, {"loss", 8.0}, {"accuracy", 0.3}}}},
            {"wall_s", 40.0},
            {"point_wall_s", 50.0}})
          .dump());
  put(d + "/sheets/1111.png", std::string(reinterpret_cast<const char*>(kPng), sizeof kPng));
  put(d + "/points/r0/result.json",
      json({{"point", {{"kind", "render"}, {"dataset", "1111"}}},
            {"res", 64},
            {"count", 6000},
            {"path", "/data/1111/data_64_lab.h5"},
            {"sheet", "sheets/1111.png"},
            {"seconds", 42.0}})
          .dump());
  // broken and unfinished points
  put(d + "/points/corrupt/result.json", "{\"point\": {\"kind\": \"train\", ");
  put(d + "/points/nometric/result.json",
      json({{"point", {{"kind", "train"}, {"dataset", "1111"}, {"method", "vae"}, {"n", 100}}}, {"test_at_best_valid", json::object()}})
          .dump());
  fs::create_directories(d + "/points/unfinished");
}

bool has(const std::string& text, const std::string& s) { return text.find(s) != std::string::npos; }

size_t count(const std::string& text, const std::string& s) {
  size_t c = 0;
  for (size_t p = text.find(s); p != std::string::npos; p = text.find(s, p + 1)) ++c;
  return c;
}

const char* kSections[] = {"What the numbers show", "Study and conventions", "1. Utility U(n) per method", "2. Model size",
                           "3. Data complexity", "4. Frozen layers", "5. Linear evaluation", "6. Dense tasks",
                           "Data and contact sheets", "Pretraining", "Wall time per phase", "Host and software",
                           "Exact configuration (study.toml)", "All points", "Warnings"};
const char* kIds[] = {"findings", "study", "utility", "model-size", "data-complexity", "frozen-layers", "linear-eval",
                      "dense", "data", "pretraining", "timing", "host", "config", "points", "warnings"};

}  // namespace

TEST_CASE("report: base64") {
  CHECK(report::base64("") == "");
  CHECK(report::base64("f") == "Zg==");
  CHECK(report::base64("fo") == "Zm8=");
  CHECK(report::base64("foo") == "Zm9v");
  CHECK(report::base64("foobar") == "Zm9vYmFy");
  CHECK(report::html_escape("<a & \"b\">") == "&lt;a &amp; &quot;b&quot;&gt;");
}

TEST_CASE("report: synthetic study with known utilities") {
  TempDir t("synthetic");
  make_study(t.path);
  ReportSummary s = make_report(t.path);
  const std::string md = ss::io::read_file(t.path + "/report/report.md");
  const std::string html = ss::io::read_file(t.path + "/report/report.html");
  CHECK(s.markdown_path == t.path + "/report/report.md");

  SUBCASE("every section is present") {
    for (const char* h : kSections) {
      CHECK_MESSAGE(has(md, std::string("## ") + h), h);
      CHECK_MESSAGE(has(html, std::string("<h2>") + report::html_escape(h) + "</h2>"), h);
    }
    for (const char* id : kIds) CHECK_MESSAGE(has(html, std::string("<section id=\"") + id + "\">"), id);
  }
  SUBCASE("utility values and bounds") {
    CHECK(has(md, "| 9.00 |"));                        // rotation at n=100: exact
    CHECK(has(md, "| 2.16 |"));                        // rotation at n=1000
    CHECK(has(md, "| 0.00 |"));                        // rotation at n=10000
    CHECK(has(md, "< 0.00 (below sweep)"));            // vae at n=100
    CHECK(has(md, "| -0.68 |"));                       // vae at n=1000
    CHECK(has(md, "| 30.62 |"));                       // cmc at n=100
    CHECK(has(md, "> 9.00 (beyond sweep)"));           // cmc at n=1000
    CHECK(has(md, "9.00 [4.62, 16.78]"));              // amdim: mean of two seeds, seed range
    CHECK(has(md, "0.600 ± 0.050 (0.610)"));           // amdim accuracy: mean ± half-range (best-valid)
    CHECK(has(md, "| U rotation |"));
  }
  SUBCASE("the other analyses") {
    CHECK(has(md, "| k=4 |"));                                               // frozen-layer table
    CHECK(has(md, "scratch (random features)"));                             // linear evaluation
    CHECK(has(md, "| ResNet50 | rotation |"));                               // model size
    CHECK(has(md, "0000 (plain)"));                                          // data complexity
    const std::string cx = md.substr(md.find("### ResNet9 · classify", md.find("## 3. Data complexity")));
    CHECK(cx.find("0000 (plain)") < cx.find("1111 (texture, random colour"));  // easy before hard
    CHECK(has(md, "segment (pixel_accuracy)"));                             // dense
    CHECK(has(md, "name = \"synthetic\"\n[sweep]\nn = [100, 1000, 10000]"));  // config verbatim
    CHECK(has(md, "Test CPU"));
    CHECK(has(md, "| pretrain | 600.0 | 0:10:00 |"));
    CHECK(has(md, "reduced width 0.25"));
    CHECK(has(md, "](../sheets/1111.png)"));
    CHECK(has(md, "| 1111 (texture, random colour, random viewpoint, random lighting) | 64 px | 6000 | 42.0 |"));
    CHECK(has(md, "| 1111 | ResNet9 | rotation | 0 | 0.5000 | 0.800 | 0:01:40 | 500.0 |"));
    CHECK(has(md, "| 1111 | ResNet9 | cmc | 0 | 8.0000 | 0.300 | 0:00:50 | — |"));
    CHECK(has(html, "data:image/png;base64,"));  // the contact sheet is embedded
  }
  SUBCASE("findings are computed from the data") {
    // rotation falls 9 -> 0; vae (< 0 -> -0.68) and cmc (30.62 -> > 9) are bounded, not decided;
    // amdim has one n only
    CHECK(has(md, "Utility falls with n for 1 of 3 methods (ResNet9, dataset 1111, classify): "
                  "rotation 9.00 at n=100 → 0.00 at n=10000."));
    CHECK(has(md, "Direction undetermined (bounds overlap): vae < 0.00 (below sweep) at n=100 → -0.68 at n=1000; "
                  "cmc 30.62 at n=100 → > 9.00 (beyond sweep) at n=1000."));
    CHECK(has(md, "Freezing more stages lowers accuracy for all 2 methods"));
    CHECK(has(md, "scratch accuracy at n=10000 is ResNet9 0.800 vs ResNet50 0.850"));
    CHECK(has(md, "mean utility over the 1 (method, n) pairs with an exact value for every model: ResNet9 9.00 vs "
                  "ResNet50 9.00 (rotation at n=100: 9.00 vs 9.00)"));
    CHECK(has(md, "### Frozen layers\n"));  // findings grouped by topic
    CHECK(has(md, "Linear evaluation (ResNet9, dataset 1111, classify): at n=1000 the best features are rotation (0.450)"));
    CHECK(has(md, "Pretraining beats scratch (U > 0) at 5 of 8 (method, n) points and is worse (U < 0) at 2, equal at 1 "
                  "(ResNet9, dataset 1111, classify)."));
    CHECK(has(md, "Data complexity (ResNet9, classify, n=100): utility is higher on the hardest dataset (1111) than on "
                  "the easiest (0000) for 1 of 1 methods"));
    CHECK(s.findings.size() >= 5);
  }
  SUBCASE("corrupt points are skipped with a warning") {
    CHECK(s.points_skipped == 2);
    CHECK(has(md, "points/corrupt/result.json skipped (malformed"));
    CHECK(has(md, "points/nometric/result.json skipped (malformed"));
    CHECK(has(md, "1 point directories have no result.json yet"));
  }
  SUBCASE("html is well formed enough") {
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(has(html, "</html>"));
    CHECK(count(html, "<table>") == count(html, "</table>"));
    CHECK(count(html, "<section ") == count(html, "</section>"));
    CHECK(count(html, "<figure>") == count(html, "</figure>"));
    CHECK_FALSE(has(html, "<script"));
  }
  SUBCASE("plots") {
    report::Plotter probe("gnuplot", t.path);
    if (!probe.available()) {
      MESSAGE("gnuplot not available (" << probe.why_not() << "): plot checks skipped");
      CHECK(has(md, "Plot not drawn"));
    } else {
      CHECK(s.gnuplot);
      CHECK(s.plots.size() >= 7);  // utility x3, model size, complexity, frozen, linear, dense, pretrain
      for (auto& p : s.plots) {
        REQUIRE(fs::exists(p));
        const std::string bytes = ss::io::read_file(p);
        CHECK(bytes.size() > 1000);
        CHECK(bytes.rfind("\x89PNG", 0) == 0);
      }
      CHECK(count(html, "data:image/png;base64,") == s.plots.size() + 1);
      CHECK(has(md, "![Utility (left) and accuracy (right) vs n for ResNet9, dataset 1111, classify"));
      CHECK(s.warnings.size() == 3);  // two malformed files, one unfinished point; no plot failures
    }
  }
}

TEST_CASE("report: one model, no gnuplot, rerun replaces the files") {
  TempDir t("small");
  for (auto [n, a] : {std::pair{100.0, 0.4}, {1000.0, 0.6}}) train_point(t.path, "1111", "resnet9", "scratch", n, a);
  train_point(t.path, "1111", "resnet9", "rotation", 100, 0.6);
  // a scratch curve that dips: flagged, its running maximum used
  for (auto [n, a] : {std::pair{100.0, 0.5}, {1000.0, 0.45}, {10000.0, 0.7}}) train_point(t.path, "0110", "resnet9", "scratch", n, a);
  train_point(t.path, "0110", "resnet9", "vae", 100, 0.6);
  put(t.path + "/study.json", "{ not json");
  ReportOptions o;
  o.gnuplot = "/nonexistent/gnuplot";
  ReportSummary s = make_report(t.path, o);
  CHECK_FALSE(s.gnuplot);
  CHECK(s.plots.empty());
  const std::string md = ss::io::read_file(s.markdown_path);
  CHECK(has(md, "One model in this study (ResNet9)"));
  CHECK(has(md, "Plot not drawn (gnuplot not found"));
  CHECK(has(md, "No frozen-layer points"));
  CHECK(has(md, "No linear-evaluation points"));
  CHECK(has(md, "No dense-task"));
  CHECK(has(md, "study.toml is missing"));
  CHECK(has(md, "| 9.00 |"));
  CHECK(has(md, "| 30.62 † |"));  // 0.6 halfway between (1000, .5) and (10000, .7) of the envelope: 10^3.5/100 - 1
  CHECK(has(md, "Caution: the scratch curve of ResNet9, dataset 0110, classify is not monotone"));
  CHECK(has(md, "study.json could not be read"));
  CHECK(has(md, "study.json is missing: host and timing information are unknown."));
  // a rerun with plots, then without: stale figures are removed
  s = make_report(t.path);
  if (!s.plots.empty()) {
    CHECK(fs::exists(s.plots[0]));
    const std::string first = s.plots[0];
    make_report(t.path, o);
    CHECK_FALSE(fs::exists(first));
  }
  for (auto& e : fs::directory_iterator(t.path + "/report")) CHECK(e.path().string().find(".tmp") == std::string::npos);
}

TEST_CASE("report: CLI") {
  TempDir t("cli");
  train_point(t.path, "1111", "resnet9", "scratch", 100, 0.4);
  CLI::App app{"selfstudy"};
  app.require_subcommand(1);
  add_report_command(app);
  CHECK_THROWS_AS(app.parse(std::string("report --help")), CLI::CallForHelp);
  const std::string help = app.get_subcommand("report")->help();
  CHECK(has(help, "--open-html"));
  CHECK(has(help, "study-dir"));
  CLI::App app2{"selfstudy"};
  add_report_command(app2);
  app2.parse("report --no-plots " + t.path);
  CHECK(fs::exists(t.path + "/report/report.html"));
  CLI::App app3{"selfstudy"};
  add_report_command(app3);
  CHECK_THROWS(app3.parse(std::string("report /nonexistent/study")));
}
