// cuDNN's NHWC batch norm for the f16 training step (bn_act.h, bn_*_cudnn_f16): the
// semi-persistent kernels keep a channel group's data on chip between the statistics and
// the normalisation, so forward and backward read each activation once, where our own
// kernels (bn_act.cu) read it twice in each direction. The activation and the residual
// add are fused in where cuDNN allows (ReLU only).
//
// These entry points are cuDNN's legacy batch-norm API (deprecated in cuDNN 9 but present,
// and what PyTorch 2.x calls for its own cuDNN batch norm).
#include <array>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "context.h"
#include "cudnn_desc.h"
#include "ss/kernels/bn_act.h"

namespace ss::cuda {
namespace {

constexpr cudnnBatchNormMode_t kMode = CUDNN_BATCHNORM_SPATIAL_PERSISTENT;

cudnnBatchNormOps_t ops_of(Act act, bool residual) {
  SS_CHECK(act == Act::ReLU || (act == Act::None && !residual),
           "cuDNN batch norm: only identity or ReLU (the latter with or without a residual)");
  if (act == Act::None) return CUDNN_BATCHNORM_OPS_BN;
  return residual ? CUDNN_BATCHNORM_OPS_BN_ADD_ACTIVATION : CUDNN_BATCHNORM_OPS_BN_ACTIVATION;
}

// Descriptors of one activation shape: the data (NHWC f16) and the derived per-channel
// parameter descriptor (1xCx1x1 f32).
struct Shape {
  TensorDesc x, bn;
};

Shape& shape_for(int N, int C, int H, int W) {
  static std::mutex mu;
  static std::map<std::array<int, 4>, std::unique_ptr<Shape>> shapes;
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = shapes[{N, C, H, W}];
  if (!slot) {
    slot = std::make_unique<Shape>();
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(slot->x.d, CUDNN_TENSOR_NHWC, CUDNN_DATA_HALF, N, C, H, W));
    CUDNN_CHECK(cudnnDeriveBNTensorDescriptor(slot->bn.d, slot->x.d, kMode));
  }
  return *slot;
}

cudnnActivationDescriptor_t relu_desc() {
  static ActivationDesc* a = [] {
    auto* d = new ActivationDesc;
    CUDNN_CHECK(cudnnSetActivationDescriptor(d->d, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0));
    return d;
  }();
  return a->d;
}
cudnnActivationDescriptor_t act_desc(Act act) { return act == Act::ReLU ? relu_desc() : nullptr; }

// cuDNN answers NOT_SUPPORTED (or BAD_PARAM) for shapes its persistent kernels do not
// cover; such a shape stays with our kernels, remembered so the refused call is not retried
// every step.
using ShapeKey = std::array<int, 6>;
std::mutex refused_mu;
std::set<ShapeKey> refused;
ShapeKey key_of(int N, int C, int H, int W, Act act, bool residual) {
  return {N, C, H, W, int(act), int(residual)};
}
bool was_refused(const ShapeKey& k) {
  std::lock_guard<std::mutex> lock(refused_mu);
  return refused.count(k) != 0;
}
// true: go on; false: cuDNN refused this shape (warned once); any other error throws.
bool accepted(cudnnStatus_t st, const ShapeKey& k, const char* what) {
  if (st == CUDNN_STATUS_SUCCESS) return true;
  const int category = int(st) / 1000 * 1000;  // cuDNN 9 groups its codes by thousands
  if (category != CUDNN_STATUS_NOT_SUPPORTED && category != CUDNN_STATUS_BAD_PARAM)
    CUDNN_CHECK(st);
  std::lock_guard<std::mutex> lock(refused_mu);
  if (refused.insert(k).second)
    std::fprintf(stderr,
                 "warning: cuDNN batch norm refused N=%d C=%d H=%d W=%d act=%d residual=%d in "
                 "%s (%s); this shape uses our kernels\n",
                 k[0], k[1], k[2], k[3], k[4], k[5], what, cudnnGetErrorString(st));
  return false;
}

}  // namespace

bool bn_cudnn_reserve_bytes(int N, int C, int H, int W, Act act, bool residual, size_t* bytes) {
  const ShapeKey k = key_of(N, C, H, W, act, residual);
  if (was_refused(k)) return false;
  Shape& s = shape_for(N, C, H, W);
  *bytes = 0;
  return accepted(cudnnGetBatchNormalizationTrainingExReserveSpaceSize(
                      cudnn(), kMode, ops_of(act, residual), act_desc(act), s.x.d, bytes),
                  k, "the reserve-size query");
}

bool bn_act_fwd_cudnn_f16(const void* x, const void* z, int N, int C, int H, int W,
                          const float* gamma, const float* beta, float eps, float momentum,
                          float* running_mean, float* running_var, Act act, void* y,
                          float* save_mean, float* save_invstd, void* reserve,
                          size_t reserve_bytes) {
  SS_CHECK(eps >= CUDNN_BN_MIN_EPSILON, "cuDNN batch norm: eps ", eps, " below its minimum");
  const ShapeKey k = key_of(N, C, H, W, act, z != nullptr);
  if (was_refused(k)) return false;
  Shape& s = shape_for(N, C, H, W);
  const cudnnBatchNormOps_t ops = ops_of(act, z != nullptr);
  cudnnHandle_t h = cudnn();
  size_t ws_bytes = 0;
  if (!accepted(cudnnGetBatchNormalizationForwardTrainingExWorkspaceSize(
                    h, kMode, ops, s.x.d, z ? s.x.d : nullptr, s.x.d, s.bn.d, act_desc(act),
                    &ws_bytes),
                k, "the workspace query"))
    return false;
  void* ws = ws_bytes ? workspace(ws_bytes) : nullptr;
  const float one = 1.f, zero = 0.f;
  return accepted(cudnnBatchNormalizationForwardTrainingEx(
                      h, kMode, ops, &one, &zero, s.x.d, x, z ? s.x.d : nullptr, z, s.x.d, y,
                      s.bn.d, gamma, beta, double(momentum), running_mean, running_var,
                      double(eps), save_mean, save_invstd, act_desc(act), ws, ws_bytes, reserve,
                      reserve_bytes),
                  k, "the forward");
}

void bn_act_bwd_cudnn_f16(const void* x, const void* y, const void* dy, int N, int C, int H,
                          int W, const float* gamma, const float* beta, const float* save_mean,
                          const float* save_invstd, float eps, Act act, bool residual,
                          const void* reserve, size_t reserve_bytes, void* dx, float* dgamma,
                          float* dbeta, void* dz) {
  Shape& s = shape_for(N, C, H, W);
  const cudnnBatchNormOps_t ops = ops_of(act, residual);
  cudnnHandle_t h = cudnn();
  const bool has_act = act != Act::None;
  size_t ws_bytes = 0;
  CUDNN_CHECK(cudnnGetBatchNormalizationBackwardExWorkspaceSize(
      h, kMode, ops, s.x.d, has_act ? s.x.d : nullptr, s.x.d, residual ? s.x.d : nullptr, s.x.d,
      s.bn.d, act_desc(act), &ws_bytes));
  void* ws = ws_bytes ? workspace(ws_bytes) : nullptr;
  const float one = 1.f, zero = 0.f;
  CUDNN_CHECK(cudnnBatchNormalizationBackwardEx(
      h, kMode, ops, &one, &zero, &one, &zero, s.x.d, x, has_act ? s.x.d : nullptr,
      has_act ? y : nullptr, s.x.d, dy, residual ? s.x.d : nullptr, residual ? dz : nullptr,
      s.x.d, dx, s.bn.d, gamma, beta, dgamma, dbeta, double(eps), save_mean, save_invstd,
      act_desc(act), ws, ws_bytes, const_cast<void*>(reserve), reserve_bytes));
}

}  // namespace ss::cuda
