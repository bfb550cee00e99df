// The index layout of the CUDA rows8 kernels (ss/kernels/rows8_layout.h), checked on the
// host: every (row, 8-channel group) is visited exactly once, by one thread, whatever the
// grid. The kernels call these same functions, so an off-by-one here would be a wrong
// batch norm there, found without a GPU.
#include <doctest/doctest.h>

#include <vector>

#include "ss/kernels/rows8_layout.h"

namespace {
constexpr int kThreads = 256;  // the CUDA kernels' block size
const int kChannels[] = {8, 16, 32, 64, 128, 256, 512, 1024, 2048};

// Visits of every (row, group) by the threads of `blocks` blocks walking the applies' rows,
// plus one "misplaced" count per visit outside the tensor or to a misaligned group: a
// correct layout gives all ones and no misplaced visits. (Counted, not REQUIREd per row:
// millions of rows.)
struct Visits {
  std::vector<int> per_row_group;
  int64_t misplaced = 0;
  int not_once() const {
    int bad = 0;
    for (int x : per_row_group) bad += x != 1;
    return bad;
  }
};

Visits apply_visits(int C, int64_t rows, int64_t blocks) {
  const int G = C / 8;
  Visits v{std::vector<int>(size_t(rows * G), 0)};
  const int64_t T = blocks * kThreads;
  for (int64_t t = 0; t < T; ++t) {
    const ss::rows8::Walk w = ss::rows8::apply_walk(t, T, C, rows);
    if (w.c0 % 8 != 0 || w.c0 < 0 || w.c0 + 8 > C || w.end_row > rows) {
      ++v.misplaced;
      continue;
    }
    for (int64_t r = w.first_row; r < w.end_row; r += w.row_step)
      ++v.per_row_group[size_t(r * G + w.c0 / 8)];
  }
  return v;
}

// The same for a reduction split into S slices. Also misplaced: a row outside the thread's
// slice, and a thread whose channels differ from those of the lane-0 thread that adds it
// (tid % G), which the kernel's lane sum assumes.
Visits reduce_visits(int C, int64_t M, int64_t S) {
  const int G = C / 8;
  const int64_t chunk = ss::rows8::chunk_rows(M, S);
  Visits v{std::vector<int>(size_t(M * G), 0)};
  for (int64_t s = 0; s < S; ++s)
    for (int tid = 0; tid < kThreads; ++tid) {
      const ss::rows8::Walk w = ss::rows8::reduce_walk(s, chunk, M, tid, kThreads, C);
      if (w.c0 != (tid % G) * 8 || w.row_step != ss::rows8::lanes(C, kThreads) || w.end_row > M) {
        ++v.misplaced;
        continue;
      }
      for (int64_t r = w.first_row; r < w.end_row; r += w.row_step) {
        if (r < s * chunk || r >= (s + 1) * chunk) ++v.misplaced;
        ++v.per_row_group[size_t(r * G + w.c0 / 8)];
      }
    }
  return v;
}
}  // namespace

TEST_CASE("rows8 layout: which channel counts the rows kernels take") {
  for (int C : kChannels) CHECK(ss::rows8::eligible(C, kThreads));
  for (int C : {0, 4, 12, 24, 40, 96, 4096}) CHECK_FALSE(ss::rows8::eligible(C, kThreads));
  CHECK(ss::rows8::lanes(64, kThreads) == 32);
  CHECK(ss::rows8::lanes(2048, kThreads) == 1);
}

TEST_CASE("rows8 layout: the applies visit every (row, channel group) once for any grid") {
  for (int C : kChannels)
    for (int64_t rows : {1, 7, 33, 1000})
      for (int64_t blocks : {1, 3, 7, 64}) {
        CAPTURE(C);
        CAPTURE(rows);
        CAPTURE(blocks);
        const Visits v = apply_visits(C, rows, blocks);
        CHECK(v.not_once() == 0);
        CHECK(v.misplaced == 0);
      }
}

TEST_CASE("rows8 layout: the reductions' slices visit every (row, channel group) once") {
  for (int C : kChannels)
    for (int64_t M : {1, 31, 32, 33, 255, 4097, 50001})
      for (int64_t min_blocks : {1, 4, 528}) {
        const int64_t S = ss::rows8::reduce_slices(M, C, kThreads, min_blocks);
        CAPTURE(C);
        CAPTURE(M);
        CAPTURE(S);
        REQUIRE(S >= 1);
        REQUIRE(S <= 1024);
        const Visits v = reduce_visits(C, M, S);
        CHECK(v.not_once() == 0);
        CHECK(v.misplaced == 0);
      }
  // Any slice count is covered the same way (the split only sizes the work).
  for (int64_t S : {1, 2, 5, 1024}) {
    const Visits v = reduce_visits(64, 3001, S);
    CHECK(v.not_once() == 0);
    CHECK(v.misplaced == 0);
  }
}

TEST_CASE("rows8 layout: slice counts at the H100 layer sizes (132 SMs, 4 blocks each)") {
  const int64_t min_blocks = 4 * 132;
  // ResNet9's stem @64 px b512: [2^21 rows, 64]: ~32 rows per lane, capped at 1024 slices
  CHECK(ss::rows8::reduce_slices(int64_t(512) * 64 * 64, 64, kThreads, min_blocks) == 1024);
  // ResNet9's last stage @8x8: [32768, 512], 4 lanes: ~8 rows per lane would give 256
  // slices, fewer than the 528 blocks that fill the GPU
  CHECK(ss::rows8::reduce_slices(32768, 512, kThreads, min_blocks) == 528);
  // ResNet50's layer4 @4x4 b96: [1536, 2048], 1 lane: 48 slices of 32 rows (more would
  // write more partials than data)
  CHECK(ss::rows8::reduce_slices(1536, 2048, kThreads, min_blocks) == 48);
  CHECK(ss::rows8::chunk_rows(1536, 48) == 32);
}
