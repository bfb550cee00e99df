// Index layout of the CUDA "rows8" kernels (kernels/cuda/bn_act.cu, device_util.cuh):
// channels-last data seen as rows of C channels, a thread per (group of 8 channels, rows r,
// r + step, ...), so each thread keeps its channels' constants and sums in registers and
// moves 16 bytes per array per row. The kernels and the host tests share these formulas,
// so the tests can check that every (row, group) is visited exactly once without a GPU.
#pragma once
#include <algorithm>
#include <cstdint>

#include "ss/kernels/hd.h"

namespace ss::rows8 {

// C splits into C/8 groups and a block's threads into whole groups, so a thread's group
// (and its registers' channels) stays fixed over all its rows.
SS_HD bool eligible(int C, int threads) {
  return C > 0 && C % 8 == 0 && threads % (C / 8) == 0;
}

struct Walk {
  int64_t first_row, end_row, row_step;
  int c0;  // first of the thread's 8 channels
};

// Applies: global thread t of T (a multiple of threads, hence of C/8) takes rows t/G,
// t/G + T/G, ... of all `rows`.
SS_HD Walk apply_walk(int64_t t, int64_t T, int C, int64_t rows) {
  const int G = C / 8;
  return {t / G, rows, T / G, int(t % G) * 8};
}

// Reductions: block s sums slice s, rows [s*chunk, min(M, (s+1)*chunk)); its thread tid
// takes group tid % G and lane tid / G, one of threads/G lanes interleaved over the rows.
SS_HD Walk reduce_walk(int64_t s, int64_t chunk, int64_t M, int tid, int threads, int C) {
  const int G = C / 8;
  const int64_t begin = s * chunk;
  const int64_t end = begin + chunk < M ? begin + chunk : M;
  return {begin + tid / G, end, threads / G, (tid % G) * 8};
}
SS_HD int lanes(int C, int threads) { return threads / (C / 8); }

// Slices (blocks) for a reduction over M rows: ~32 rows per lane, but at least `min_blocks`
// blocks while every slice keeps 32 rows (a slice writes NA*C double partials, which cost
// as much as the data below ~32 rows), and at most 1024 (the finalize reads S per channel).
inline int64_t reduce_slices(int64_t M, int C, int threads, int64_t min_blocks) {
  const int64_t L = lanes(C, threads);
  const int64_t target = (M + L * 32 - 1) / (L * 32);
  const int64_t most = std::max<int64_t>(1, M / 32);
  const int64_t s = std::max(target, std::min(min_blocks, most));
  return std::clamp<int64_t>(s, 1, 1024);
}
inline int64_t chunk_rows(int64_t M, int64_t S) { return (M + S - 1) / S; }

}  // namespace ss::rows8
