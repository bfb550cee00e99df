// Dataset splits by index (REFERENCE §2) and the 12 shape buckets.
//   train = [0, floor(5N/6))
//   valid = V images from floor(5N/6),                 V = min(5000, floor(N/12))
//   test  = V images from floor(5N/6) + floor(N/12)
// For N >= 60000 this is exactly the authors' 5000/5000; smaller N scales valid and test
// to N/12 each. The index range is cut into 12 buckets at floor(k N / 12) for k <= 10,
// at the test start for k = 11; each bucket draws from its own shape instances, so the
// three splits never share a shape (train = buckets 0-9, valid = 10, test = 11).
#pragma once
#include <cstdint>

namespace ss::render {

struct Range {
  int64_t begin = 0, end = 0;
  int64_t size() const { return end - begin; }
  bool contains(int64_t i) const { return i >= begin && i < end; }
};

struct Splits {
  Range train, valid, test;
};

Splits make_splits(int64_t count);
int64_t bucket_begin(int bucket, int64_t count);  // bucket in [0, 12]
int bucket_of(int64_t index, int64_t count);

}  // namespace ss::render
