// 2-D convolution on cuDNN's legacy (v7-style) API, NCHW, cross-correlation, fp32 or
// binary16 storage (f32 accumulation, tensor-core math allowed for f16). One Plan per
// geometry and storage type holds the descriptors and the three chosen algorithms, so a
// training step pays only for the library calls after the first iteration.
#include <algorithm>
#include <array>
#include <climits>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "context.h"
#include "cudnn_desc.h"
#include "ss/kernels/conv.h"
#include "ss/kernels/gemm.h"
#include "ss/kernels/switches.h"

namespace ss::cuda {
namespace {

template <class Algo>
struct Choice {
  bool ready = false;
  Algo algo{};
  cudnnMathType_t math = CUDNN_FMA_MATH;
  size_t ws = 0;
};

enum class Storage { F32 = 0, F16 = 1 };
cudnnDataType_t data_type(Storage s) {
  return s == Storage::F16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
}

struct Plan {
  TensorDesc x, y;
  FilterDesc w;
  ConvDesc conv;
  Storage storage = Storage::F32;
  bool tf32 = false, det = true, bench = false;
  Choice<cudnnConvolutionFwdAlgo_t> fwd;
  Choice<cudnnConvolutionBwdDataAlgo_t> bwd_data;
  Choice<cudnnConvolutionBwdFilterAlgo_t> bwd_filter;
};

using Key = std::array<int, 18>;

Key key_of(const ConvGeom& g, Storage st, bool tf32, bool det, bool bench) {
  return {g.N,     g.C,     g.H,       g.W,      g.K,     g.R,          g.S,
          g.stride_h, g.stride_w, g.pad_h, g.pad_w, g.dil_h, g.dil_w, int(st),
          int(tf32), int(det), int(g.channels_last), int(bench)};
}

std::string geom_str(const ConvGeom& g) {
  std::ostringstream os;
  os << "x[" << g.N << "," << g.C << "," << g.H << "," << g.W << "] w[" << g.K << "," << g.C
     << "," << g.R << "," << g.S << "] stride " << g.stride_h << "x" << g.stride_w << " pad "
     << g.pad_h << "x" << g.pad_w << " dil " << g.dil_h << "x" << g.dil_w;
  return os.str();
}

// FMA_MATH keeps fp32 convolutions off TF32 tensor cores (DEFAULT_MATH would allow TF32 on
// sm_80+), which is what lets conv results match the CPU reference.
cudnnMathType_t base_math(bool tf32) { return tf32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH; }

// The math type the algorithm queries run under. The three passes share one descriptor and
// each sets its chosen algorithm's math type before it runs, so every query resets this
// first: otherwise a backward query would inherit the forward pass's choice (e.g. FMA),
// and cuDNN's heuristics only offer algorithms of the descriptor's math type.
cudnnMathType_t query_math(const Plan& p) {
  return p.storage == Storage::F16 ? CUDNN_TENSOR_OP_MATH : base_math(p.tf32);
}

// f16 storage always accumulates in f32 (compute type FLOAT) on tensor cores.
std::unique_ptr<Plan> make_plan(const ConvGeom& g, Storage st, bool tf32, bool det,
                                bool bench) {
  auto p = std::make_unique<Plan>();
  p->storage = st;
  p->tf32 = tf32;
  p->det = det;
  p->bench = bench;
  const cudnnDataType_t dt = data_type(st);
  const cudnnTensorFormat_t fmt = g.channels_last ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW;
  CUDNN_CHECK(cudnnSetTensor4dDescriptor(p->x.d, fmt, dt, g.N, g.C, g.H, g.W));
  CUDNN_CHECK(cudnnSetFilter4dDescriptor(p->w.d, dt, fmt, g.K, g.C, g.R, g.S));
  CUDNN_CHECK(cudnnSetConvolution2dDescriptor(p->conv.d, g.pad_h, g.pad_w, g.stride_h,
                                              g.stride_w, g.dil_h, g.dil_w,
                                              CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  CUDNN_CHECK(cudnnSetConvolutionMathType(
      p->conv.d, st == Storage::F16 ? CUDNN_TENSOR_OP_MATH : base_math(tf32)));
  int n = 0, k = 0, h = 0, w = 0;
  CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(p->conv.d, p->x.d, p->w.d, &n, &k, &h, &w));
  SS_CHECK(n == g.N && k == g.K && h == g.P() && w == g.Q(), "cuDNN output shape [", n, ",", k,
           ",", h, ",", w, "] disagrees with ConvGeom [", g.N, ",", g.K, ",", g.P(), ",", g.Q(),
           "] for ", geom_str(g));
  CUDNN_CHECK(cudnnSetTensor4dDescriptor(p->y.d, fmt, dt, g.N, g.K, g.P(), g.Q()));
  return p;
}

std::mutex g_plans_mu;
std::map<Key, std::unique_ptr<Plan>> g_plans;

Plan& plan_for(const ConvGeom& g, Storage st) {
  const bool tf32 = allow_tf32(), det = deterministic(), bench = conv_benchmark();
  std::lock_guard<std::mutex> lock(g_plans_mu);
  auto& slot = g_plans[key_of(g, st, tf32, det, bench)];
  if (!slot) slot = make_plan(g, st, tf32, det, bench);
  return *slot;
}

// Workspace budget for algorithm choice: the fastest algorithms (FFT, Winograd) can ask for
// gigabytes; more than half of what is free now would starve the activations.
size_t workspace_budget() {
  size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) {
    (void)cudaGetLastError();
    return size_t(256) << 20;
  }
  return std::min(free_b / 2, size_t(4) << 30);
}

// Heuristic results arrive best-first. Take the first that succeeded, respects the
// determinism and TF32 settings and fits the budget (else the smallest-workspace one that
// respects them). If nothing respects them, relax determinism, then precision, loudly.
template <class Perf>
int pick(const std::vector<Perf>& perf, int count, const Plan& p, const char* what,
         const ConvGeom& g) {
  const size_t budget = workspace_budget();
  auto find = [&](bool need_det, bool need_fma) {
    int best = -1, smallest = -1;
    for (int i = 0; i < count; ++i) {
      const Perf& r = perf[i];
      if (r.status != CUDNN_STATUS_SUCCESS) continue;
      // Down-conversion of fp32 to fp16/bf16 tensor ops is never acceptable here.
      if (p.storage == Storage::F32 && r.mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION)
        continue;
      if (need_det && r.determinism != CUDNN_DETERMINISTIC) continue;
      if (need_fma && r.mathType != CUDNN_FMA_MATH) continue;
      if (smallest < 0 || r.memory < perf[smallest].memory) smallest = i;
      if (best < 0 && r.memory <= budget) best = i;
    }
    return best >= 0 ? best : smallest;
  };
  const bool fma = p.storage == Storage::F32 && !p.tf32;
  int i = find(p.det, fma);
  if (i < 0 && p.det) {
    i = find(false, fma);
    if (i >= 0)
      std::fprintf(stderr, "warning: no deterministic cuDNN %s algorithm for %s; using a "
                   "non-deterministic one\n", what, geom_str(g).c_str());
  }
  if (i < 0 && fma) {
    i = find(false, false);
    if (i >= 0)
      std::fprintf(stderr, "warning: no FMA-only cuDNN %s algorithm for %s; results may use "
                   "TF32\n", what, geom_str(g).c_str());
  }
  SS_CHECK(i >= 0, "cuDNN offers no usable ", what, " algorithm for ", geom_str(g));
  return i;
}

// SS_CONV_LOG=1: one stderr line per chosen algorithm, with every candidate (for tuning).
bool log_choices() {
  static const bool on = env_flag("SS_CONV_LOG");
  return on;
}

bool timed(const Plan& p);

// Takes the best of the heuristics' candidates whose workspace query succeeds: they can
// offer algorithms the layout/type does not support (pick() then moves on to the next).
template <class Perf, class Algo, class WorkspaceSize>
void choose(Plan& p, const ConvGeom& g, const char* what, std::vector<Perf>& perf, int n,
            Choice<Algo>& c, WorkspaceSize workspace_size) {
  for (;;) {
    auto& r = perf[pick(perf, n, p, what, g)];
    CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv.d, r.mathType));
    const cudnnStatus_t st = workspace_size(r.algo, &c.ws);
    if (st != CUDNN_STATUS_SUCCESS) {
      r.status = st;
      continue;
    }
    c.algo = r.algo;
    c.math = r.mathType;
    c.ready = true;
    if (log_choices()) {
      std::fprintf(stderr, "cudnn %s %s %s%s: algo %d math %d ws %zu B (%s; candidates:",
                   what, p.storage == Storage::F16 ? "f16" : "f32", geom_str(g).c_str(),
                   g.channels_last ? " NHWC" : "", int(r.algo), int(r.mathType), c.ws,
                   timed(p) ? "timed" : "heuristic");
      for (int i = 0; i < n; ++i)
        if (perf[i].status == CUDNN_STATUS_SUCCESS)
          std::fprintf(stderr, " %d/%d %.3fms %zuB%s", int(perf[i].algo), int(perf[i].mathType),
                       double(perf[i].time), size_t(perf[i].memory),
                       perf[i].determinism == CUDNN_DETERMINISTIC ? "" : " nondet");
      std::fprintf(stderr, ")\n");
    }
    return;
  }
}

// Timing runs the candidates on scratch buffers cuDNN allocates itself and waits for them,
// which a CUDA-graph capture cannot hold: a geometry first met during capture falls back
// to the heuristics (the trainer's eager first step normally meets them all).
bool timed(const Plan& p) { return p.bench && !capturing(); }

// One direction's algorithm: cuDNN's candidates (timed by cudnnFind, or ranked by the v7
// heuristics), then the best whose workspace query succeeds. The three directions' cuDNN
// calls share one shape: (handle, in_a, in_b, conv, out, ...).
template <class Perf, class Algo, class A, class B, class Out>
void ensure(Plan& p, const ConvGeom& g, const char* what, Choice<Algo>& c, A a, B b, Out out,
            cudnnStatus_t (*max_count)(cudnnHandle_t, int*),
            cudnnStatus_t (*find)(cudnnHandle_t, A, B, cudnnConvolutionDescriptor_t, Out, int,
                                  int*, Perf*),
            cudnnStatus_t (*heuristic)(cudnnHandle_t, A, B, cudnnConvolutionDescriptor_t, Out,
                                       int, int*, Perf*),
            cudnnStatus_t (*ws_size)(cudnnHandle_t, A, B, cudnnConvolutionDescriptor_t, Out,
                                     Algo, size_t*)) {
  if (c.ready) return;
  cudnnHandle_t h = cudnn();
  int max_n = 0, n = 0;
  CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv.d, query_math(p)));
  CUDNN_CHECK(max_count(h, &max_n));
  std::vector<Perf> perf(std::max(max_n, 1));
  CUDNN_CHECK((timed(p) ? find : heuristic)(h, a, b, p.conv.d, out, max_n, &n, perf.data()));
  choose(p, g, what, perf, n, c, [&](Algo algo, size_t* ws) {
    return ws_size(h, a, b, p.conv.d, out, algo, ws);
  });
}

void ensure_fwd(Plan& p, const ConvGeom& g) {
  ensure(p, g, "forward", p.fwd, p.x.d, p.w.d, p.y.d, cudnnGetConvolutionForwardAlgorithmMaxCount,
         cudnnFindConvolutionForwardAlgorithm, cudnnGetConvolutionForwardAlgorithm_v7,
         cudnnGetConvolutionForwardWorkspaceSize);
}
void ensure_bwd_data(Plan& p, const ConvGeom& g) {
  ensure(p, g, "backward-data", p.bwd_data, p.w.d, p.y.d, p.x.d,
         cudnnGetConvolutionBackwardDataAlgorithmMaxCount,
         cudnnFindConvolutionBackwardDataAlgorithm, cudnnGetConvolutionBackwardDataAlgorithm_v7,
         cudnnGetConvolutionBackwardDataWorkspaceSize);
}
void ensure_bwd_filter(Plan& p, const ConvGeom& g) {
  ensure(p, g, "backward-filter", p.bwd_filter, p.x.d, p.y.d, p.w.d,
         cudnnGetConvolutionBackwardFilterAlgorithmMaxCount,
         cudnnFindConvolutionBackwardFilterAlgorithm,
         cudnnGetConvolutionBackwardFilterAlgorithm_v7,
         cudnnGetConvolutionBackwardFilterWorkspaceSize);
}

// cuDNN rejects zero-sized dimensions; an empty reduction yields zeros (beta = 0 semantics).
bool degenerate(const ConvGeom& g) {
  return g.N == 0 || g.C == 0 || g.K == 0 || g.P() <= 0 || g.Q() <= 0;
}
void zero(void* p, int64_t n, Storage st) {
  if (n > 0) memset_zero(p, size_t(n) * (st == Storage::F16 ? 2 : 4));
}

// alpha/beta are float for both storages: the compute type is FLOAT.
void fwd(Storage st, const ConvGeom& g, const void* x, const void* w, void* y) {
  if (degenerate(g))
    return zero(y, int64_t(g.N) * g.K * std::max(g.P(), 0) * std::max(g.Q(), 0), st);
  Plan& p = plan_for(g, st);
  ensure_fwd(p, g);
  const float one = 1.f, zero_f = 0.f;
  // The three passes share one descriptor and may have chosen different math types.
  CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv.d, p.fwd.math));
  void* ws = p.fwd.ws ? workspace(p.fwd.ws) : nullptr;
  CUDNN_CHECK(cudnnConvolutionForward(cudnn(), &one, p.x.d, x, p.w.d, w, p.conv.d, p.fwd.algo, ws,
                                      p.fwd.ws, &zero_f, p.y.d, y));
}

void bwd_data(Storage st, const ConvGeom& g, const void* dy, const void* w, void* dx,
              bool accumulate) {
  if (degenerate(g)) return accumulate ? void() : zero(dx, int64_t(g.N) * g.C * g.H * g.W, st);
  Plan& p = plan_for(g, st);
  ensure_bwd_data(p, g);
  const float one = 1.f, beta = accumulate ? 1.f : 0.f;
  CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv.d, p.bwd_data.math));
  void* ws = p.bwd_data.ws ? workspace(p.bwd_data.ws) : nullptr;
  CUDNN_CHECK(cudnnConvolutionBackwardData(cudnn(), &one, p.w.d, w, p.y.d, dy, p.conv.d,
                                           p.bwd_data.algo, ws, p.bwd_data.ws, &beta, p.x.d,
                                           dx));
}

// A 1x1, stride-1, unpadded convolution on NHWC data is a GEMM: x is [NHW, C], dy is
// [NHW, K] and the KRSC filter gradient is dy^T x, [K, C]. For f16 its backward-filter
// goes to cuBLAS (split-K GEMM, deterministic): on an H100 cuDNN's legacy-API ALGO_1 ran
// such layers at small spatial sizes (ResNet50's 8x8 stage) in a non-tensor-core engine,
// 0.83 ms each against ~0.05 ms for the GEMM PyTorch gets from cuDNN's newer API.
bool pointwise_nhwc(const ConvGeom& g) {
  // SS_CONV_1X1_GEMM=0: leave these to cuDNN (A/B timing)
  static const bool off = !perf_switch("SS_CONV_1X1_GEMM");
  return !off && g.channels_last && g.R == 1 && g.S == 1 && g.stride_h == 1 && g.stride_w == 1 &&
         g.pad_h == 0 && g.pad_w == 0 && int64_t(g.N) * g.H * g.W <= INT32_MAX;
}

void bwd_filter(Storage st, const ConvGeom& g, const void* x, const void* dy, void* dw) {
  if (degenerate(g)) return zero(dw, int64_t(g.K) * g.C * g.R * g.S, st);
  if (st == Storage::F16 && pointwise_nhwc(g))
    return gemm_batched_f16(true, false, g.K, g.C, g.N * g.H * g.W, 1.f, dy, g.K, 0, x, g.C, 0,
                            0.f, dw, g.C, 0, 1);
  Plan& p = plan_for(g, st);
  ensure_bwd_filter(p, g);
  const float one = 1.f, zero_f = 0.f;
  CUDNN_CHECK(cudnnSetConvolutionMathType(p.conv.d, p.bwd_filter.math));
  void* ws = p.bwd_filter.ws ? workspace(p.bwd_filter.ws) : nullptr;
  CUDNN_CHECK(cudnnConvolutionBackwardFilter(cudnn(), &one, p.x.d, x, p.y.d, dy, p.conv.d,
                                             p.bwd_filter.algo, ws, p.bwd_filter.ws, &zero_f,
                                             p.w.d, dw));
}

}  // namespace

void conv2d_fwd(const ConvGeom& g, const float* x, const float* w, float* y) {
  fwd(Storage::F32, g, x, w, y);
}
void conv2d_bwd_data(const ConvGeom& g, const float* dy, const float* w, float* dx,
                     bool accumulate) {
  bwd_data(Storage::F32, g, dy, w, dx, accumulate);
}
void conv2d_bwd_filter(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  bwd_filter(Storage::F32, g, x, dy, dw);
}
void conv2d_fwd_f16(const ConvGeom& g, const void* x, const void* w, void* y) {
  fwd(Storage::F16, g, x, w, y);
}
void conv2d_bwd_data_f16(const ConvGeom& g, const void* dy, const void* w, void* dx,
                         bool accumulate) {
  bwd_data(Storage::F16, g, dy, w, dx, accumulate);
}
void conv2d_bwd_filter_f16(const ConvGeom& g, const void* x, const void* dy, void* dw) {
  bwd_filter(Storage::F16, g, x, dy, dw);
}

}  // namespace ss::cuda
