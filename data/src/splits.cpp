#include "ss/data/splits.h"

#include <algorithm>
#include <numeric>

#include "ss/kernels/error.h"
#include "ss/render/splits.h"

namespace ss::data {

std::vector<int64_t> IndexRange::indices() const {
  std::vector<int64_t> v(size_t(std::max<int64_t>(0, size())));
  std::iota(v.begin(), v.end(), begin);
  return v;
}

Splits Splits::make(int64_t n, const std::string& file) {
  const std::string where = file.empty() ? std::string("dataset") : "dataset file '" + file + "'";
  SS_CHECK(n >= 12, where, " has ", n, " images; the train/valid/test split needs at least 12");
  Splits s;
  s.total = n;
  s.file = file;
  // The renderer's rule: it draws each split's shapes from its own buckets of these ranges.
  const render::Splits r = render::make_splits(n);
  s.train = {r.train.begin, r.train.end};
  s.valid = {r.valid.begin, r.valid.end};
  s.test = {r.test.begin, r.test.end};
  return s;
}

std::vector<int64_t> Splits::labelled(int64_t n) const {
  const std::string where = file.empty() ? std::string("the dataset") : "dataset file '" + file + "'";
  SS_CHECK(n > 0, "labelled subset size must be positive, got n = ", n, " (", where, ")");
  SS_CHECK(n <= train.size(), "labelled subset n = ", n, " is larger than the train split of ", where,
           " (field 'data': ", total, " images, train = [0, ", train.end, ") holds ", train.size(),
           ")");
  return IndexRange{train.begin, train.begin + n}.indices();
}

int64_t epoch_copies(int64_t n, int64_t min_samples) {
  SS_CHECK(n > 0, "epoch of an empty index list");
  if (min_samples <= 0 || n >= min_samples) return 1;
  return (min_samples + n - 1) / n;
}

std::vector<int64_t> tile_epoch(const std::vector<int64_t>& idx, int64_t min_samples) {
  const int64_t copies = epoch_copies(int64_t(idx.size()), min_samples);
  std::vector<int64_t> out;
  out.reserve(idx.size() * size_t(copies));
  for (int64_t c = 0; c < copies; ++c) out.insert(out.end(), idx.begin(), idx.end());
  return out;
}

}  // namespace ss::data
