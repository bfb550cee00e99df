// Loss-scaling kernels, term for term as PyTorch's CPU versions
// (aten/src/ATen/native/cpu/AmpGradScalerKernels.cpp).
#include "ss/kernels/amp.h"

#include <cmath>

#include "instantiate.h"

namespace ss::cpu {

template <class T>
void unscale_and_check(T* const* bufs, const int64_t* sizes, int count, const float* inv_scale,
                       float* found_inf) {
  const T inv = T(*inv_scale);
  bool any = false;
  for (int k = 0; k < count; ++k) {
    T* b = bufs[k];
    const int64_t n = sizes[k];
    // A reduction instead of a shared store keeps the flag race-free under OpenMP.
#pragma omp parallel for schedule(static) reduction(|| : any)
    for (int64_t i = 0; i < n; ++i) {
      if (!std::isfinite(b[i])) any = true;
      b[i] *= inv;
    }
  }
  if (any) *found_inf = 1.f;
}

void update_scale(float* scale, int32_t* growth_tracker, const float* found_inf, double growth,
                  double backoff, int32_t growth_interval, float* inv_scale) {
  if (*found_inf != 0.f) {
    *scale = float(double(*scale) * backoff);
    *growth_tracker = 0;
  } else {
    const int32_t successful = *growth_tracker + 1;
    if (successful == growth_interval) {
      const float grown = float(double(*scale) * growth);
      if (std::isfinite(grown)) *scale = grown;  // never grow past the f32 range
      *growth_tracker = 0;
    } else {
      *growth_tracker = successful;
    }
  }
  if (inv_scale) *inv_scale = float(1.0 / double(*scale));
}

#define INST(T) \
  template void unscale_and_check<T>(T* const*, const int64_t*, int, const float*, float*);
SS_INSTANTIATE_FLOATS(INST)
}  // namespace ss::cpu
