// Row gather and CSR scatter-add (see ss/kernels/gather.h). No atomics: every output
// element is written by one thread, which sums its row's positions in increasing order.
#include <cstdint>

#include "device_util.cuh"
#include "ss/kernels/gather.h"

namespace ss::cuda {
namespace {

template <class W>
struct Gather {
  const W* src;
  W* dst;
  const int64_t* idx;
  int64_t words;  // per row
  __device__ void operator()(int64_t k) const {
    const int64_t i = k / words, w = k - i * words;
    dst[k] = src[idx[i] * words + w];
  }
};

struct ScatterAdd {
  const float* g;
  float* dx;
  const int64_t *rows, *start, *pos;
  int64_t D;
  __device__ void operator()(int64_t k) const {
    const int64_t r = k / D, d = k - r * D;
    float acc = dx[rows[r] * D + d];
    for (int64_t p = start[r]; p < start[r + 1]; ++p) acc = __fadd_rn(acc, g[pos[p] * D + d]);
    dx[rows[r] * D + d] = acc;
  }
};

template <class W>
void launch_gather(const void* src, void* dst, const int64_t* idx, int64_t n, int64_t words) {
  dev::launch_each(Gather<W>{static_cast<const W*>(src), static_cast<W*>(dst), idx, words},
                   n * words);
}

}  // namespace

void gather_rows(const void* src, int64_t D, const int64_t* idx, int64_t n, void* dst,
                 int elem_size) {
  const int64_t bytes = D * elem_size;
  if (n <= 0 || bytes <= 0) return;
  // Widest word that divides a row and both base addresses, so a row moves in few loads.
  const auto aligned = [&](int64_t w) {
    return bytes % w == 0 && reinterpret_cast<uintptr_t>(src) % w == 0 &&
           reinterpret_cast<uintptr_t>(dst) % w == 0;
  };
  if (aligned(16))
    launch_gather<int4>(src, dst, idx, n, bytes / 16);
  else if (aligned(4))
    launch_gather<int>(src, dst, idx, n, bytes / 4);
  else if (aligned(2))
    launch_gather<short>(src, dst, idx, n, bytes / 2);
  else
    launch_gather<char>(src, dst, idx, n, bytes);
}

void scatter_add_rows(const float* g, int64_t D, const int64_t* rows, const int64_t* start,
                      const int64_t* pos, int64_t n_rows, float* dx) {
  dev::launch_each(ScatterAdd{g, dx, rows, start, pos, D}, n_rows * D);
}

}  // namespace ss::cuda
