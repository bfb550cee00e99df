// Loss-scaling kernels with the same semantics as kernels/cpu/amp.cpp (PyTorch's
// _amp_foreach_non_finite_check_and_unscale_ and _amp_update_scale_). Nothing is read back
// to the host: found_inf, inv_scale, scale and the growth tracker stay in device memory.
#include <cmath>

#include "device_util.cuh"
#include "ss/kernels/amp.h"

namespace ss::cuda {
namespace {

// Same table layout and limit as the fused Adam (optim.cu): 48 pointers + sizes keep the
// by-value kernel argument under 4 KiB.
constexpr int kBufsPerLaunch = 48;
struct UnscaleTable {
  float* b[kBufsPerLaunch];
  int64_t n[kBufsPerLaunch];
  int count;
};

__global__ void unscale_multi_kernel(UnscaleTable t, const float* inv_scale, float* found_inf) {
  const float inv = *inv_scale;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  const int64_t first = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  bool bad = false;
  for (int k = 0; k < t.count; ++k) {
    float* b = t.b[k];
    const int64_t n = t.n[k];
    for (int64_t i = first; i < n; i += step) {
      const float v = b[i];
      bad |= !isfinite(v);
      b[i] = __fmul_rn(v, inv);
    }
  }
  // Every writer stores the same 1.f, so the outcome does not depend on ordering.
  if (bad) *found_inf = 1.f;
}

__global__ void update_scale_kernel(float* scale, int32_t* growth_tracker, const float* found_inf,
                                    double growth, double backoff, int32_t growth_interval,
                                    float* inv_scale) {
  if (*found_inf != 0.f) {
    *scale = float(double(*scale) * backoff);
    *growth_tracker = 0;
  } else {
    const int32_t successful = *growth_tracker + 1;
    if (successful == growth_interval) {
      const float grown = float(double(*scale) * growth);
      if (isfinite(grown)) *scale = grown;
      *growth_tracker = 0;
    } else {
      *growth_tracker = successful;
    }
  }
  if (inv_scale) *inv_scale = float(1.0 / double(*scale));
}

}  // namespace

void unscale_and_check(float* const* bufs, const int64_t* sizes, int count,
                       const float* inv_scale, float* found_inf) {
  cudaStream_t st = stream();
  UnscaleTable t{};
  int64_t largest = 0;
  auto flush = [&] {
    if (t.count == 0) return;
    unscale_multi_kernel<<<grid_for(largest), kThreads, 0, st>>>(t, inv_scale, found_inf);
    CUDA_CHECK_LAUNCH();
    t.count = 0;
    largest = 0;
  };
  for (int k = 0; k < count; ++k) {
    if (sizes[k] <= 0) continue;
    t.b[t.count] = bufs[k];
    t.n[t.count] = sizes[k];
    largest = std::max(largest, sizes[k]);
    if (++t.count == kBufsPerLaunch) flush();
  }
  flush();
}

void update_scale(float* scale, int32_t* growth_tracker, const float* found_inf, double growth,
                  double backoff, int32_t growth_interval, float* inv_scale) {
  update_scale_kernel<<<1, 1, 0, stream()>>>(scale, growth_tracker, found_inf, growth, backoff,
                                             growth_interval, inv_scale);
  CUDA_CHECK_LAUNCH();
}

}  // namespace ss::cuda
