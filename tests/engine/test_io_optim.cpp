// safetensors round trip / corruption handling, modules, optimiser schedule.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unistd.h>
#include <filesystem>
#include <fstream>

#include "ss/io/atomic_file.h"
#include "ss/io/safetensors.h"
#include "ss/nn.h"
#include "ss/optim.h"
#include "ss/platform.h"

using namespace ss;
namespace fs = std::filesystem;

namespace {
fs::path tmpdir() {
  fs::path p = fs::temp_directory_path() / ("ss_test_" + std::to_string(::getpid()));
  fs::create_directories(p);
  return p;
}
void write_bytes(const fs::path& p, const std::string& b) {
  std::ofstream o(p, std::ios::binary);
  o << b;
}
}  // namespace

TEST_CASE("safetensors round trip keeps names, dtypes, shapes and bytes") {
  auto dir = tmpdir();
  io::TensorMap m;
  m["layer1.0.conv1.weight"] = Tensor::normal({4, 3, 3, 3}, 0, 1, 5);
  m["bn.num_batches_tracked"] = Tensor::from_vector<int64_t>({7}, {});
  m["half"] = Tensor::from_vector<float>({1.5f, -2.f}, {2}).to(DType::F16);
  m["d"] = Tensor::from_vector<double>({3.25}, {1});
  m["empty"] = Tensor::zeros({0, 4});
  const std::string path = (dir / "a.safetensors").string();
  io::save_safetensors(path, m, {{"format", "pt"}});
  io::Metadata meta;
  auto r = io::load_safetensors(path, &meta);
  CHECK(meta["format"] == "pt");
  REQUIRE(r.size() == m.size());
  for (auto& [k, t] : m) {
    CAPTURE(k);
    CHECK(r[k].dtype() == t.dtype());
    CHECK(r[k].shape() == t.shape());
    CHECK(std::memcmp(r[k].raw(), t.raw(), t.nbytes()) == 0);
  }
  CHECK_FALSE(fs::exists(path + ".tmp." + std::to_string(::getpid())));
  fs::remove_all(dir);
}

TEST_CASE("safetensors rejects truncated and corrupt files with the file and field named") {
  auto dir = tmpdir();
  const std::string path = (dir / "b.safetensors").string();
  io::save_safetensors(path, {{"w", Tensor::ones({16})}});
  const std::string good = io::read_file(path);
  const std::string bad = (dir / "bad.safetensors").string();

  write_bytes(bad, good.substr(0, good.size() - 4));
  CHECK_THROWS_WITH_AS(io::load_safetensors(bad), doctest::Contains("truncated"), ss::Error);
  CHECK_THROWS_WITH_AS(io::load_safetensors(bad), doctest::Contains("bad.safetensors"), ss::Error);
  CHECK_THROWS_WITH_AS(io::load_safetensors(bad), doctest::Contains("'w'"), ss::Error);

  write_bytes(bad, good.substr(0, 5));
  CHECK_THROWS_WITH_AS(io::load_safetensors(bad), doctest::Contains("not a safetensors"), ss::Error);

  std::string huge = good;
  huge[7] = char(0x7f);  // header length far beyond the file
  write_bytes(bad, huge);
  CHECK_THROWS_WITH_AS(io::load_safetensors(bad), doctest::Contains("exceeds file size"), ss::Error);

  std::string json = good;
  json[8] = '[';  // header no longer a JSON object
  write_bytes(bad, json);
  CHECK_THROWS_AS(io::load_safetensors(bad), ss::Error);

  std::string dt = good;
  auto pos = dt.find("\"F32\"");
  REQUIRE(pos != std::string::npos);
  dt.replace(pos, 5, "\"Q32\"");
  write_bytes(bad, dt);
  CHECK_THROWS_WITH_AS(io::load_safetensors(bad), doctest::Contains("unsupported dtype"), ss::Error);

  CHECK_THROWS_WITH_AS(io::load_safetensors((dir / "missing.safetensors").string()),
                       doctest::Contains("cannot open"), ss::Error);
  fs::remove_all(dir);
}

TEST_CASE("a file we write opens in Python (numpy reader, or safetensors if installed)") {
  if (std::system("/usr/bin/python3 -c 'import numpy' >/dev/null 2>&1") != 0) {
    MESSAGE("skipped: /usr/bin/python3 with numpy not available");
    return;
  }
  auto dir = tmpdir();
  const std::string path = (dir / "py.safetensors").string();
  io::save_safetensors(path, {{"fc.weight", Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, {2, 3})},
                              {"fc.bias", Tensor::from_vector<float>({-1, 1}, {2})}},
                       {{"format", "pt"}});
  // Debian's python3 (numpy from python3-numpy) unless SS_PYTHON names another.
  const char* py = std::getenv("SS_PYTHON");
  const std::string cmd = std::string(py && *py ? py : "/usr/bin/python3") + " " + source_dir() +
                          "/tools/check_safetensors.py " + path +
                          " --expect fc.weight=2x3:21 --expect fc.bias=2:0";
  CHECK(std::system(cmd.c_str()) == 0);
  fs::remove_all(dir);
}

TEST_CASE("atomic writes leave no partial file when writing fails") {
  auto dir = tmpdir();
  const std::string path = (dir / "x.json").string();
  CHECK_THROWS_AS(io::write_atomically(path, [](const std::string& tmp) {
                    std::ofstream(tmp) << "partial";
                    throw ss::Error("disk full (simulated)");
                  }),
                  ss::Error);
  CHECK_FALSE(fs::exists(path));
  CHECK(fs::is_empty(dir));
  CHECK_THROWS_WITH_AS(io::write_file_atomically((dir / "no/such/dir/f").string(), "x"),
                       doctest::Contains("cannot open"), ss::Error);
  fs::remove_all(dir);
}

TEST_CASE("modules: torchvision names, state dict round trip, train/eval") {
  auto seq = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(3, 4, 3, 1, 1), std::make_shared<nn::BatchNorm2d>(4),
      std::make_shared<nn::ReLU>()});
  auto names = seq->state_dict();
  CHECK(names.count("0.weight"));
  CHECK(names.count("1.running_mean"));
  CHECK(names.count("1.num_batches_tracked"));
  CHECK(seq->num_parameters() == 4 * 3 * 9 + 4 + 4);
  Tensor x = Tensor::normal({2, 3, 5, 5}, 0, 1, 1);
  Tensor y_train = (*seq)(x);
  CHECK(names["1.num_batches_tracked"].item() == 1);
  seq->eval();
  Tensor y_eval = (*seq)(x);
  CHECK(y_train.to_vector<float>() != y_eval.to_vector<float>());
  auto other = std::make_shared<nn::Sequential>(std::initializer_list<nn::ModulePtr>{
      std::make_shared<nn::Conv2d>(3, 4, 3, 1, 1), std::make_shared<nn::BatchNorm2d>(4),
      std::make_shared<nn::ReLU>()});
  other->load_state_dict(seq->state_dict());
  other->eval();
  CHECK((*other)(x).to_vector<float>() == y_eval.to_vector<float>());
  std::map<std::string, Tensor> wrong = seq->state_dict();
  wrong["0.weight"] = Tensor::zeros({4, 3, 1, 1});
  CHECK_THROWS_WITH_AS(other->load_state_dict(wrong), doctest::Contains("0.weight"), ss::Error);
  wrong.erase("0.weight");
  CHECK_THROWS_WITH_AS(other->load_state_dict(wrong), doctest::Contains("missing"), ss::Error);
}

TEST_CASE("warm-up then linear decay schedule (REFERENCE 6)") {
  optim::WarmupLinearSchedule s{1e-3, 1e-6, 5, 200};
  CHECK(s.at(0) == 0.0);
  CHECK(s.at(1) == doctest::Approx(2e-4));
  CHECK(s.at(5) == doctest::Approx(1e-3));
  CHECK(s.at(200) == doctest::Approx(1e-6));
  CHECK(s.at(102) == doctest::Approx(1e-3 + (1e-6 - 1e-3) * 97.0 / 195.0));
  CHECK(s.at(1000) == doctest::Approx(1e-6));
}

TEST_CASE("Adam drives a quadratic to its minimum") {
  Tensor w = Tensor::from_vector<float>({3, -2}, {2});
  w.set_requires_grad(true);
  optim::Adam opt({w}, {0.05, 0.8, 0.999, 1e-8, 0.0});
  for (int i = 0; i < 400; ++i) {
    opt.zero_grad();
    Tensor loss = sum(mul(w, w));
    loss.backward();
    opt.step();
  }
  for (float v : w.to_vector<float>()) CHECK(std::abs(v) < 0.05);
}
