// Train / valid / test by index (REFERENCE §2, the authors' datasets/syn.py; the rule is
// render::make_splits, which the renderer's shape buckets follow):
//   train = [0, floor(5N/6))
//   valid = V images from floor(5N/6)
//   test  = V images from floor(5N/6) + floor(N/12)
//   V = min(5000, floor(N/12))   (5000 for N >= 60000: the authors' numbers)
// The labelled subset for n labels is the first n train indices. Each labelled epoch is
// tiled (whole copies of the subset) to at least `min_samples` samples (10,000; the
// authors use 20,000 for n = 4000 in some dense runs), exactly as datasets/base.py does:
// copies = ceil(min_samples / n) when n < min_samples, else 1.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace ss::data {

struct IndexRange {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
  bool contains(int64_t i) const { return i >= begin && i < end; }
  std::vector<int64_t> indices() const;
};

struct Splits {
  IndexRange train, valid, test;
  int64_t total = 0;
  std::string file;  // for error messages ("" if unknown)

  // Throws ss::Error when n_images is too small to hold all three splits (N < 12).
  static Splits make(int64_t n_images, const std::string& file = "");
  // First n train indices; ss::Error naming the file when n > train size (or n <= 0).
  std::vector<int64_t> labelled(int64_t n) const;
};

// Number of whole copies of an n-sample list that makes an epoch of >= min_samples.
int64_t epoch_copies(int64_t n, int64_t min_samples);
// The list repeated epoch_copies(...) times (in order; loaders shuffle per epoch).
std::vector<int64_t> tile_epoch(const std::vector<int64_t>& idx, int64_t min_samples);

}  // namespace ss::data
