// The performance switches (SS_* environment variables) in one table: each one's name, the
// value that turns it on, and whether it is on when unset. Built for a GPU check to try
// them alone and together (benchmarks/gpu_check.sh, GPU_CHECK_QUICK=final); adopting one
// after that check is flipping `default_on` here, and every benchmark row lists the
// switches in force (perf_switches_on). SS_ALLOC (heap | segments, a per-device default)
// is read by the allocator itself.
#pragma once
#include <string>
#include <vector>

#include "ss/kernels/env.h"
#include "ss/kernels/error.h"

namespace ss {

struct PerfSwitch {
  const char* name;  // the environment variable
  const char* on;    // the value that turns it on
  bool default_on;   // when the variable is unset
  const char* what;
};

inline const std::vector<PerfSwitch>& perf_switches() {
  static const std::vector<PerfSwitch> table = {
      {"SS_BN_APPLY", "rows", false, "batch-norm applies by 8-channel rows (CUDA, NHWC)"},
      {"SS_BN_REDUCE", "rows8", false, "batch-norm sums by 8-channel rows (CUDA, NHWC)"},
      {"SS_BN_STATS", "onepass", false, "batch-norm statistics in one read (CUDA)"},
      {"SS_BN_CUDNN", "1", false, "cuDNN's NHWC batch norm for ReLU and identity layers (f16)"},
      {"SS_CONV_PAD_C", "1", false, "NHWC f16 convolutions on 8 zero-padded input channels"},
      {"SS_CONV_DGRAD_ACC", "1", false,
       "convolution backward-data adds into the pending gradient (CUDA; always on the host)"},
      {"SS_CONV_1X1_GEMM", "1", true, "1x1 NHWC f16 filter gradients by cuBLAS"},
      {"SS_COPY_SLAB", "1", false, "NCHW <-> NHWC copies as shared-memory transposes (CUDA)"},
      {"SS_POOL_ARGMAX", "1", false,
       "NHWC max pool keeps window positions, not its input (CUDA; always on the host)"},
  };
  return table;
}

inline const PerfSwitch& perf_switch_entry(const char* name) {
  for (const PerfSwitch& s : perf_switches())
    if (std::string(s.name) == name) return s;
  SS_FAIL("unknown performance switch ", name);
}

// On when the variable holds the switch's on-value; when unset, the default; any other
// value (e.g. 0) is off, which also turns off a switch that is on by default.
inline bool perf_switch(const char* name) {
  const PerfSwitch& s = perf_switch_entry(name);
  const std::string v = env_value(name);
  return v.empty() ? s.default_on : v == s.on;
}

// "SS_BN_APPLY=rows SS_CONV_1X1_GEMM=1 ...": the switches on now, for logs and results.
inline std::string perf_switches_on() {
  std::string out;
  for (const PerfSwitch& s : perf_switches()) {
    if (!perf_switch(s.name)) continue;
    if (!out.empty()) out += ' ';
    out.append(s.name).append("=").append(s.on);
  }
  return out;
}

}  // namespace ss
