// Deterministic reductions (double accumulators, fixed combination order) and the
// broadcast that is their backward.
#include "device_util.cuh"
#include "ss/kernels/reduce.h"

namespace ss::cuda {
namespace {

struct LoadAll {
  const float* x;
  __device__ void operator()(int64_t i, double* acc) const { acc[0] += x[i]; }
};

// Thread per output (o, i), walking l: consecutive threads read consecutive i, so this is
// coalesced whenever inner is large, and needs no cross-thread combination.
__global__ void sum_cols_kernel(const float* __restrict__ x, int64_t outer, int64_t len,
                                int64_t inner, float* __restrict__ y) {
  const int64_t total = outer * inner, step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < total; k += step) {
    const int64_t o = k / inner, i = k - o * inner;
    const float* p = x + o * len * inner + i;
    double s = 0.0;
    for (int64_t l = 0; l < len; ++l) s += p[l * inner];
    y[k] = float(s);
  }
}

// Block per output, threads splitting l: for few outputs with long reductions (and for
// inner == 1, where it reads each row contiguously).
__global__ void sum_rows_kernel(const float* __restrict__ x, int64_t outer, int64_t len,
                                int64_t inner, float* __restrict__ y) {
  const int64_t total = outer * inner;
  for (int64_t k = blockIdx.x; k < total; k += gridDim.x) {
    const int64_t o = k / inner, i = k - o * inner;
    const float* p = x + o * len * inner + i;
    double v[1] = {0.0};
    for (int64_t l = threadIdx.x; l < len; l += blockDim.x) v[0] += p[l * inner];
    dev::block_sum<1>(v);
    if (threadIdx.x == 0) y[k] = float(v[0]);
  }
}

// Row r of an [outer, len] matrix as "channel" r of channel_reduce's [1, outer, len] view.
struct RowLoad {
  const float* x;
  __device__ void operator()(int c, int64_t k, double* acc) const { acc[0] += x[k]; }
};
struct RowFinal {
  float* y;
  __device__ void operator()(int c, const double* tot) const { y[c] = float(tot[0]); }
};

struct Broadcast {
  const float* dy;
  float* dx;
  int64_t len, inner;
  float s;
  __device__ void operator()(int64_t k) const {
    const int64_t o = k / (len * inner), i = k % inner;  // len*inner is a multiple of inner
    dx[k] = s * dy[o * inner + i];
  }
};

}  // namespace

void sum_all(const float* x, int64_t n, float* out) {
  dev::reduce_to<1>(LoadAll{x}, std::max<int64_t>(n, 0), out);
}

void sum_axis(const float* x, int64_t outer, int64_t len, int64_t inner, float* y) {
  const int64_t outputs = outer * inner;
  if (outputs <= 0) return;
  if (len <= 0) return memset_zero(y, size_t(outputs) * sizeof(float));
  cudaStream_t s = stream();
  // Few long rows (sum()/mean() of a whole tensor is one row): one block per output would
  // leave the GPU idle, so split every row into slices (a fixed split, a function of the
  // sizes only: still deterministic) and combine the slices in order.
  if (inner == 1 && outputs < 1024 && len >= 2 * 4096) {
    const dev::ChannelSplit sp = dev::channel_split(1, int(outputs), len);
    if (sp.S > 1) {
      auto* part = static_cast<double*>(workspace(sizeof(double) * size_t(outputs) * sp.S));
      return dev::channel_reduce<1>(sp, RowLoad{x}, RowFinal{y}, part);
    }
  }
  // Enough outputs to fill the GPU with one thread each, and each walk is short or
  // coalesced: column kernel. Otherwise split every output's walk over a block.
  const bool columns = inner > 1 && (outputs >= 4096 || len < 256);
  if (columns) {
    sum_cols_kernel<<<grid_for(outputs), kThreads, 0, s>>>(x, outer, len, inner, y);
  } else {
    const int threads = len >= 1024 ? 256 : (len >= 128 ? 128 : 32);
    const unsigned blocks = unsigned(std::min<int64_t>(outputs, 65536));
    sum_rows_kernel<<<blocks, threads, 0, s>>>(x, outer, len, inner, y);
  }
  CUDA_CHECK_LAUNCH();
}

void broadcast_axis(const float* dy, int64_t outer, int64_t len, int64_t inner, float s,
                    float* dx) {
  dev::launch_each(Broadcast{dy, dx, len, inner, s}, outer * len * inner);
}

}  // namespace ss::cuda
