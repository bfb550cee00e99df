// Counter-based random streams for the renderer. Every draw is a pure function of
// (seed, domain, stream, k): an image's randomness depends only on (seed, index), so
// chunking and thread count never change the output.
#pragma once
#include <cmath>
#include <cstdint>

#include "ss/kernels/philox.h"

namespace ss::render {

// Independent key spaces, so e.g. shape parameters and image parameters never collide.
enum class Domain : uint64_t { image = 1, shape = 2, class_order = 3, probe = 4 };

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

class Rng {
 public:
  Rng(uint64_t seed, Domain domain, uint64_t stream)
      : key_(splitmix64(seed ^ splitmix64(static_cast<uint64_t>(domain) * 0x1000193ull))),
        base_(stream << 24) {}

  uint32_t next_u32() {
    if (lane_ == 4) {
      block_ = ss::philox::philox4x32(base_ + counter_++, key_);
      lane_ = 0;
    }
    return block_.x[lane_++];
  }
  // Uniform in [0, 1).
  float uniform() { return ss::philox::to_unit(next_u32()); }
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // Integer in [0, n).
  int below(int n) { return static_cast<int>((uint64_t(next_u32()) * uint64_t(n)) >> 32); }
  bool chance(float p) { return uniform() < p; }
  // Standard normal (Box-Muller; one value per call, deterministic).
  float normal() {
    float u1 = (float(next_u32() >> 8) + 0.5f) * (1.0f / 16777216.0f);
    float u2 = uniform();
    return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.28318530718f * u2);
  }
  float normal(float mean, float sd) { return mean + sd * normal(); }

 private:
  uint64_t key_;
  uint64_t base_;
  uint64_t counter_ = 0;
  int lane_ = 4;
  ss::philox::U4 block_{};
};

}  // namespace ss::render
