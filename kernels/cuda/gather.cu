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

template <class W>
struct Scatter {
  const W* src;
  W* dst;
  const int64_t* idx;
  int64_t words;
  __device__ void operator()(int64_t k) const {
    const int64_t i = k / words, w = k - i * words;
    dst[idx[i] * words + w] = src[k];
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
template <class W>
void launch_scatter(const void* src, void* dst, const int64_t* idx, int64_t n, int64_t words) {
  dev::launch_each(Scatter<W>{static_cast<const W*>(src), static_cast<W*>(dst), idx, words},
                   n * words);
}

// Widest word (16, 4, 2 or 1 bytes) dividing a row and both base addresses.
int word_size(const void* a, const void* b, int64_t bytes) {
  for (int w : {16, 4, 2})
    if (bytes % w == 0 && reinterpret_cast<uintptr_t>(a) % w == 0 &&
        reinterpret_cast<uintptr_t>(b) % w == 0)
      return w;
  return 1;
}

}  // namespace

void gather_rows(const void* src, int64_t D, const int64_t* idx, int64_t n, void* dst,
                 int elem_size) {
  const int64_t bytes = D * elem_size;
  if (n <= 0 || bytes <= 0) return;
  switch (word_size(src, dst, bytes)) {
    case 16: return launch_gather<int4>(src, dst, idx, n, bytes / 16);
    case 4: return launch_gather<int>(src, dst, idx, n, bytes / 4);
    case 2: return launch_gather<short>(src, dst, idx, n, bytes / 2);
    default: return launch_gather<char>(src, dst, idx, n, bytes);
  }
}

void scatter_add_rows(const float* g, int64_t D, const int64_t* rows, const int64_t* start,
                      const int64_t* pos, int64_t n_rows, float* dx) {
  dev::launch_each(ScatterAdd{g, dx, rows, start, pos, D}, n_rows * D);
}

void scatter_rows(const void* src, int64_t D, const int64_t* idx, int64_t n, void* dst,
                  int elem_size) {
  const int64_t bytes = D * elem_size;
  if (n <= 0 || bytes <= 0) return;
  switch (word_size(src, dst, bytes)) {
    case 16: return launch_scatter<int4>(src, dst, idx, n, bytes / 16);
    case 4: return launch_scatter<int>(src, dst, idx, n, bytes / 4);
    case 2: return launch_scatter<short>(src, dst, idx, n, bytes / 2);
    default: return launch_scatter<char>(src, dst, idx, n, bytes);
  }
}

}  // namespace ss::cuda
