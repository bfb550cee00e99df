// What bn.cpp and bn_act.cpp share: the channel tile, the per-ISA clones (the fused
// pre-activation must round exactly as bn.cpp's affine map does, so both compile the same
// way) and the blocking of the eval-mode streaming pass.
#pragma once
#include <algorithm>
#include <cstdint>

#define SS_BN_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#define SS_INLINE [[gnu::always_inline]] inline

namespace ss::cpu {

// Channels [c0, c1) of an N x C x HW tensor; per-channel arrays (mean, sums, coefficients)
// are indexed by c - c0.
struct Tile {
  int N, C, HW, c0, c1;
  int64_t at(int n, int c) const { return (int64_t(n) * C + c) * HW; }
};

// Eval mode is one pure streaming pass: images x blocks of ~64 KB of channels, split among
// the threads. f(tile of one image, offset of that image, first channel of the block).
template <class F>
void for_eval_blocks(int N, int C, int HW, F&& f) {
  const int cb = int(std::clamp<int64_t>((int64_t(16) << 10) / std::max(HW, 1), 1, C));
  const int blocks = (C + cb - 1) / cb;
#pragma omp parallel for collapse(2) schedule(static)
  for (int n = 0; n < N; ++n)
    for (int bi = 0; bi < blocks; ++bi) {
      const int c0 = bi * cb;
      f(Tile{1, C, HW, c0, std::min(C, c0 + cb)}, int64_t(n) * C * HW, c0);
    }
}

}  // namespace ss::cpu
