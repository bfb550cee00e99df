#include "ss/render/splits.h"

#include <algorithm>

#include "ss/kernels/error.h"
#include "ss/render/shapes.h"

namespace ss::render {

Splits make_splits(int64_t n) {
  SS_CHECK(n > 0, "dataset size must be positive, got ", n);
  Splits s;
  int64_t v0 = 5 * n / 6, t0 = v0 + n / 12, k = std::min<int64_t>(5000, n / 12);
  s.train = {0, v0};
  s.valid = {v0, v0 + k};
  s.test = {t0, std::min(n, t0 + k)};
  return s;
}

int64_t bucket_begin(int b, int64_t n) {
  if (b <= 0) return 0;
  if (b >= kNumBuckets) return n;
  if (b == kNumBuckets - 1) return 5 * n / 6 + n / 12;
  return int64_t(b) * n / kNumBuckets;
}

int bucket_of(int64_t i, int64_t n) {
  int b = int(std::min<int64_t>(kNumBuckets - 1, i * kNumBuckets / n));
  while (b > 0 && i < bucket_begin(b, n)) --b;
  while (b < kNumBuckets - 1 && i >= bucket_begin(b + 1, n)) ++b;
  return b;
}

}  // namespace ss::render
