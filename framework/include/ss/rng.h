// Process-wide seeded random source. Every random fill takes a fresh Philox offset range
// from here, so a run is reproducible from its seed and CPU and CUDA draw the same values.
#pragma once
#include <cstdint>

namespace ss {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  // Reserve `n` random values; returns the Philox offset for them.
  uint64_t reserve(uint64_t n) {
    const uint64_t off = offset_;
    offset_ += (n + 3) / 4 + 1;
    return off;
  }
  void set_seed(uint64_t s) {
    seed_ = s;
    offset_ = 0;
  }
  static Generator& global();

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

inline void manual_seed(uint64_t s) { Generator::global().set_seed(s); }

}  // namespace ss
