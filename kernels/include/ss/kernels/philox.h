// Philox4x32-10 counter-based RNG (Salmon et al., SC'11). Header-only and usable from
// host and device code, so CPU and CUDA kernels draw the same numbers for the same
// (seed, offset): element i of a fill uses counter (offset + i/4) and lane i%4.
#pragma once
#include <cstdint>

#include "ss/kernels/hd.h"

namespace ss::philox {

struct U4 {
  uint32_t x[4];
};

SS_HD uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t* hi) {
  uint64_t p = uint64_t(a) * uint64_t(b);
  *hi = uint32_t(p >> 32);
  return uint32_t(p);
}

// Full Philox4x32-10 on a 128-bit counter and 64-bit key (Random123's known-answer
// tests apply to this form).
SS_HD U4 philox4x32_10(U4 ctr, uint32_t k0, uint32_t k1) {
  uint32_t c0 = ctr.x[0], c1 = ctr.x[1], c2 = ctr.x[2], c3 = ctr.x[3];
  for (int r = 0; r < 10; ++r) {
    uint32_t hi0, hi1;
    uint32_t lo0 = mulhilo(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = mulhilo(0xCD9E8D57u, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
    c0 = n0; c1 = n1; c2 = n2; c3 = n3;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return U4{{c0, c1, c2, c3}};
}

// The engine's stream: counter = (offset-based 64-bit index, 0, 0), key = seed.
SS_HD U4 philox4x32(uint64_t counter, uint64_t seed) {
  return philox4x32_10(U4{{uint32_t(counter), uint32_t(counter >> 32), 0u, 0u}}, uint32_t(seed),
                       uint32_t(seed >> 32));
}

// Uniform in [0,1) with 24 bits, exactly representable in float.
SS_HD float to_unit(uint32_t r) { return float(r >> 8) * (1.0f / 16777216.0f); }

SS_HD uint32_t raw(uint64_t seed, uint64_t offset, uint64_t i) {
  return philox4x32(offset + (i >> 2), seed).x[i & 3];
}

SS_HD float uniform(uint64_t seed, uint64_t offset, uint64_t i) {
  return to_unit(raw(seed, offset, i));
}

}  // namespace ss::philox
