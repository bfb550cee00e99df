// `selfstudy render ...`: render one, several or all (--all) datasets.
#include "ss/render/cli.h"

#include <omp.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "ss/kernels/error.h"
#include "ss/progress.h"
#include "ss/render/dataset.h"
#include "ss/render/scene.h"

namespace ss::render {

namespace {
struct CliOptions {
  std::vector<std::string> sets;
  bool all = false;
  DatasetOptions d;
  int res = 0;  // 0: 64 single-object, 128 multi-object
  bool no_sheet = false;
};

void on_sigint(int) {
  request_stop();
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends at once
}

void run(const CliOptions& c) {
  std::vector<std::string> sets = c.all ? authors_sets() : c.sets;
  SS_CHECK(!sets.empty(), "render: give --set BITS (e.g. --set 1011) or --all");
  for (const std::string& s : sets) Factors::parse(s);  // fail before rendering anything
  DatasetOptions base = c.d;
  base.res = c.res > 0 ? c.res : (base.multi ? 128 : 64);
  base.contact_sheet = !c.no_sheet;
  int threads = base.threads > 0 ? base.threads : omp_get_max_threads();
  clear_stop();
  std::signal(SIGINT, on_sigint);
  for (const std::string& bits : sets) {
    DatasetOptions o = base;
    o.bits = bits;
    ss::Progress bar(bits, o.count);
    DatasetResult r = render_dataset(
        o,
        [&](int64_t done, int64_t, int64_t now, double) {
          bar.resumed_from(done - now);  // images from a resumed partial file: not in img/s
          bar.update(done);
        },
        [&](const std::string& line) { bar.note(line); });
    if (r.rendered_now > 0 && !r.interrupted) bar.finish();  // else no bar, or the destructor ends it
    if (r.already_complete) {
      std::fprintf(stderr, "%s: %s is already complete (same settings); skipped\n", bits.c_str(), r.path.c_str());
      continue;
    }
    if (r.interrupted)
      SS_FAIL("interrupted: ", bits, " stopped at a chunk boundary; rerun the same command to resume");
    double rate = r.render_seconds > 0 ? double(r.rendered_now) / r.render_seconds : 0.0;
    std::fprintf(stderr, "%s: wrote %s (%lld images%s, %.1f s, %.0f img/s on %d threads)%s%s\n", bits.c_str(),
                 r.path.c_str(), (long long)o.count,
                 r.resumed_from ? (", resumed at " + std::to_string(r.resumed_from)).c_str() : "", r.seconds,
                 rate, threads, r.sheet.empty() ? "" : " + ", r.sheet.c_str());
  }
  std::signal(SIGINT, SIG_DFL);
}
}  // namespace

void add_render_command(CLI::App& app) {
  auto c = std::make_shared<CliOptions>();
  auto* cmd = app.add_subcommand(
      "render",
      "Render procedural synthetic datasets to HDF5 in the authors' layout:\n"
      "<out>/<bits>/data_<res>_lab.h5 (data float16 Nx3xRxR normalised LAB, targets, rot_mat)\n"
      "plus contact_<res>.png. Bits are T C V L: texture, random colour, random viewpoint,\n"
      "random light. Resumable: rerun the same command to continue an interrupted render.");
  cmd->add_option("--set", c->sets, "Dataset bits T C V L, e.g. 1011 (repeat or comma-separate for several)")
      ->delimiter(',');
  cmd->add_flag("--all", c->all,
                "Render the authors' 12 sets: 0000 0100 0110 0001 0101 0010 0111 1000 1011 1100 1110 1111");
  cmd->add_option("--count", c->d.count, "Images per dataset (valid/test are 5000 each, or N/12 when N < 60000)")
      ->capture_default_str();
  cmd->add_option("--res", c->res, "Output resolution in pixels (default 64; 128 with --multi)");
  cmd->add_flag("--multi", c->d.multi,
                "Multi-object scenes (4 objects) with dense targets: instance id, class, depth x 100");
  cmd->add_option("--out", c->d.out_dir, "Output directory")->capture_default_str();
  cmd->add_option("--seed", c->d.seed, "Random seed (output is a pure function of seed and index)")
      ->capture_default_str();
  cmd->add_option("--threads", c->d.threads, "Rendering threads (0 = all cores / OMP_NUM_THREADS)")
      ->capture_default_str();
  cmd->add_option("--chunk", c->d.chunk, "Images per resumable chunk (0 = automatic, ~24 MB)");
  cmd->add_flag("--force", c->d.force, "Re-render even if a complete file with other settings exists");
  cmd->add_flag("--no-sheet", c->no_sheet, "Skip the PNG contact sheet");
  cmd->callback([c] { run(*c); });
}

}  // namespace ss::render
