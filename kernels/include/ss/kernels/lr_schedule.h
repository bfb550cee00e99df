// The study's learning-rate schedule (REFERENCE §6): linear warm-up from 0 to base_lr over
// `warmup` steps, then linear decay to final_lr at `total` steps. One definition for host
// and device: an optimiser that reads its step count from device memory (a step captured
// in a CUDA graph) evaluates it in a kernel and must get the host's value bit for bit, so
// the device arithmetic is explicitly rounded (no FMA contraction; the host build has none).
#pragma once
#include <cstdint>

#include "ss/kernels/hd.h"

namespace ss {

struct WarmupLinearSchedule {
  double base_lr = 1e-3, final_lr = 1e-6;
  int64_t warmup = 0, total = 1;

  SS_HD double at(int64_t step) const {
    if (warmup > 0 && step < warmup) return base_lr * double(step) / double(warmup);
    if (total <= warmup) return base_lr;
    double t = double(step - warmup) / double(total - warmup);
    t = t < 0.0 ? 0.0 : (t > 1.0 ? 1.0 : t);
#if defined(__CUDA_ARCH__)
    return __dadd_rn(base_lr, __dmul_rn(__dsub_rn(final_lr, base_lr), t));
#else
    return base_lr + (final_lr - base_lr) * t;
#endif
  }
};

}  // namespace ss
