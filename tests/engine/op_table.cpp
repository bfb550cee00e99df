#include "op_table.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "ss/ops.h"

namespace ss::test {
namespace {
using V = std::vector<Tensor>;
InputSpec in(Shape s, Init i = Init::Normal) { return {std::move(s), i, true, 0}; }
InputSpec labels(Shape s, int max, Init i = Init::Labels) { return {std::move(s), i, false, max}; }
InputSpec nograd(Shape s, Init i) { return {std::move(s), i, false, 0}; }

// A batch_norm_act row. Training makes fresh running statistics per call (the gradient
// check re-runs fn); eval takes them as inputs 3 and 4. The residual is the last input.
// C = 16: channels-last runs take the GPU's 8-channel-group kernels. (The table runs batch
// norm in f32 on the GPU; its f16 paths, cuDNN's batch norm included, are checked at layer
// sizes in test_bn_act.cpp.)
OpCase bn_act_row(const std::string& name, Act act, double alpha, bool training, bool residual,
                  int64_t C = 2) {
  const Shape xs = training ? Shape{3, C, 3, 3} : Shape{2, C, 3, 3};
  std::vector<InputSpec> ins = {in(xs), in({C}), in({C})};
  if (!training) {
    ins.push_back(nograd({C}, Init::Normal));
    ins.push_back(nograd({C}, Init::Positive));
  }
  if (residual) ins.push_back(in(xs));
  const std::string row = "batch_norm_act " + name + (training ? " train" : " eval") +
                          (residual ? " residual" : "") + (C != 2 ? " C" + std::to_string(C) : "");
  return {row, ins, [=](const V& v) {
    Tensor rm = training ? Tensor::zeros({C}, v[0].dtype(), v[0].device()) : v[3];
    Tensor rv = training ? Tensor::ones({C}, v[0].dtype(), v[0].device()) : v[4];
    return batch_norm_act(v[0], v[1], v[2], rm, rv, training, act, alpha,
                          residual ? v.back() : Tensor());
  }};
}
}  // namespace

const std::vector<OpCase>& op_table() {
  static const std::vector<OpCase> table = {
      // convolution
      {"conv2d 3x3 pad1", {in({2, 3, 5, 5}), in({4, 3, 3, 3})},
       [](const V& v) { return conv2d(v[0], v[1], {}, {1, 1, 1}); }},
      {"conv2d 3x3 stride2 pad1", {in({2, 2, 7, 6}), in({3, 2, 3, 3})},
       [](const V& v) { return conv2d(v[0], v[1], {}, {2, 1, 1}); }},
      {"conv2d 3x3 dilation2 pad2", {in({1, 2, 7, 7}), in({2, 2, 3, 3})},
       [](const V& v) { return conv2d(v[0], v[1], {}, {1, 2, 2}); }},
      {"conv2d 1x1 bias", {in({2, 4, 3, 3}), in({5, 4, 1, 1}), in({5})},
       [](const V& v) { return conv2d(v[0], v[1], v[2]); }},
      {"conv2d 7x7 stride2 pad3", {in({1, 2, 9, 9}), in({2, 2, 7, 7})},
       [](const V& v) { return conv2d(v[0], v[1], {}, {2, 3, 1}); }},
      {"conv_transpose2d k4 s2 p1", {in({2, 3, 3, 3}), in({3, 2, 4, 4})},
       [](const V& v) { return conv_transpose2d(v[0], v[1], {}, {2, 1, 0, 1}); }},
      {"conv_transpose2d 1x1->4x4 bias", {in({2, 3, 1, 1}), in({3, 2, 4, 4}), in({2})},
       [](const V& v) { return conv_transpose2d(v[0], v[1], v[2], {1, 0, 0, 1}); }},
      // linear algebra
      {"linear", {in({4, 5}), in({3, 5}), in({3})},
       [](const V& v) { return linear(v[0], v[1], v[2]); }},
      {"matmul", {in({3, 4}), in({4, 5})}, [](const V& v) { return matmul(v[0], v[1]); }},
      {"matmul batched", {in({2, 3, 4}), in({2, 4, 2})},
       [](const V& v) { return matmul(v[0], v[1]); }},
      // normalisation
      {"batch_norm train 4d", {in({3, 2, 3, 3}), in({2}), in({2})},
       [](const V& v) {
         Tensor rm = Tensor::zeros({2}, v[0].dtype(), v[0].device());
         Tensor rv = Tensor::ones({2}, v[0].dtype(), v[0].device());
         return batch_norm(v[0], v[1], v[2], rm, rv, true);
       }},
      {"batch_norm train 2d", {in({5, 3}), in({3}), in({3})},
       [](const V& v) { return batch_norm(v[0], v[1], v[2], {}, {}, true); }},
      {"batch_norm eval", {in({2, 2, 3, 3}), in({2}), in({2}), nograd({2}, Init::Normal),
                           nograd({2}, Init::Positive)},
       [](const V& v) { return batch_norm(v[0], v[1], v[2], v[3], v[4], false); }},
      // fused batch norm + activation (+ residual): every act x residual x train/eval
      bn_act_row("relu", Act::ReLU, 1.0, true, false),
      bn_act_row("relu", Act::ReLU, 1.0, true, true),
      bn_act_row("relu", Act::ReLU, 1.0, false, false),
      bn_act_row("relu", Act::ReLU, 1.0, false, true),
      bn_act_row("celu 0.075", Act::CELU, 0.075, true, false),
      bn_act_row("celu 0.075", Act::CELU, 0.075, true, true),
      bn_act_row("celu 0.075", Act::CELU, 0.075, false, false),
      bn_act_row("celu 0.075", Act::CELU, 0.075, false, true),
      bn_act_row("none", Act::None, 1.0, true, false),
      bn_act_row("none", Act::None, 1.0, true, true),
      bn_act_row("none", Act::None, 1.0, false, false),
      bn_act_row("none", Act::None, 1.0, false, true),
      bn_act_row("relu", Act::ReLU, 1.0, true, true, 16),
      bn_act_row("relu", Act::ReLU, 1.0, true, false, 16),
      bn_act_row("none", Act::None, 1.0, true, false, 16),
      bn_act_row("celu 0.075", Act::CELU, 0.075, true, true, 16),
      bn_act_row("celu 0.075", Act::CELU, 0.075, true, false, 16),
      bn_act_row("relu", Act::ReLU, 1.0, false, false, 16),
      {"batch_norm_act celu train 2d", {in({5, 3}), in({3}), in({3})},
       [](const V& v) { return batch_norm_act(v[0], v[1], v[2], {}, {}, true, Act::CELU, 0.5); }},
      {"l2_normalize", {in({3, 5})}, [](const V& v) { return l2_normalize(v[0]); }},
      // activations
      {"relu", {in({2, 3, 4}, Init::AwayFromZero)}, [](const V& v) { return relu(v[0]); }},
      {"celu 0.075", {in({2, 3, 4})}, [](const V& v) { return celu(v[0], 0.075); }},
      {"celu 1.0", {in({2, 3, 4})}, [](const V& v) { return celu(v[0], 1.0); }},
      {"tanh", {in({2, 5})}, [](const V& v) { return tanh(v[0]); }},
      {"exp", {in({2, 5})}, [](const V& v) { return exp(v[0]); }},
      {"softclip c=2", {in({2, 5})}, [](const V& v) { return softclip(scale(v[0], 3.0), 2.0); }},
      // pooling
      {"max_pool2d", {in({2, 2, 4, 4}, Init::Distinct)}, [](const V& v) { return max_pool2d(v[0]); }},
      {"max_pool2d odd", {in({1, 2, 5, 5}, Init::Distinct)},
       [](const V& v) { return max_pool2d(v[0]); }},
      // 16 channels: the GPU's NHWC kernels take 16-byte lanes of channels (4 f32, 8 f16).
      {"max_pool2d 16 channels", {in({2, 16, 4, 6}, Init::Distinct)},
       [](const V& v) { return max_pool2d(v[0]); }},
      {"global_avg_pool", {in({2, 3, 3, 4})}, [](const V& v) { return global_avg_pool(v[0]); }},
      // elementwise
      {"add", {in({2, 3}), in({2, 3})}, [](const V& v) { return add(v[0], v[1]); }},
      {"add channel bias", {in({2, 3, 2, 2}), in({3})}, [](const V& v) { return add(v[0], v[1]); }},
      {"sub", {in({2, 3}), in({2, 3})}, [](const V& v) { return sub(v[0], v[1]); }},
      {"mul", {in({2, 3}), in({2, 3})}, [](const V& v) { return mul(v[0], v[1]); }},
      {"scale", {in({2, 3})}, [](const V& v) { return scale(v[0], -1.5); }},
      {"add_scalar", {in({2, 3})}, [](const V& v) { return add_scalar(v[0], 0.25); }},
      {"mul self (shared input)", {in({4})}, [](const V& v) { return mul(v[0], v[0]); }},
      // shape
      {"reshape", {in({2, 3, 4})}, [](const V& v) { return reshape(v[0], {4, -1}); }},
      {"permute", {in({2, 3, 4})}, [](const V& v) { return permute(v[0], {2, 0, 1}); }},
      {"transpose", {in({3, 4})}, [](const V& v) { return transpose(v[0], 0, 1); }},
      {"slice", {in({4, 5})}, [](const V& v) { return slice(v[0], 1, 1, 4); }},
      {"concat", {in({2, 3}), in({2, 2})}, [](const V& v) { return concat({v[0], v[1]}, 1); }},
      {"rot90 k1", {in({1, 2, 3, 4})}, [](const V& v) { return rot90(v[0], 1); }},
      {"rot90 k2", {in({1, 2, 3, 4})}, [](const V& v) { return rot90(v[0], 2); }},
      {"rot90 k3", {in({1, 2, 3, 4})}, [](const V& v) { return rot90(v[0], 3); }},
      {"index_select", {in({5, 3}), labels({4}, 5, Init::Indices)},
       [](const V& v) { return index_select(v[0], v[1]); }},
      // reductions
      {"sum", {in({3, 4})}, [](const V& v) { return sum(v[0]); }},
      {"mean", {in({3, 4})}, [](const V& v) { return mean(v[0]); }},
      {"sum dim1", {in({2, 3, 4})}, [](const V& v) { return sum(v[0], 1); }},
      {"mean dim2 keepdim", {in({2, 3, 4})}, [](const V& v) { return mean(v[0], 2, true); }},
      // losses
      {"log_softmax", {in({3, 5})}, [](const V& v) { return log_softmax(v[0], 1); }},
      {"log_softmax dim1 4d", {in({2, 3, 2, 2})}, [](const V& v) { return log_softmax(v[0], 1); }},
      {"cross_entropy", {in({4, 5}), labels({4}, 5)},
       [](const V& v) { return cross_entropy(v[0], v[1]); }},
      {"cross_entropy 4d ignore", {in({2, 4, 3, 3}), labels({2, 3, 3}, 4, Init::LabelsIgnore)},
       [](const V& v) { return cross_entropy(v[0], v[1], -100); }},
      // Every target ignored / masked: count 0 gives loss 0 and zero gradients (the mean is
      // formed where the (sum, count) statistics live, on the device for CUDA tensors).
      {"cross_entropy all ignored", {in({3, 4})},
       [](const V& v) {
         // (CUDA fills only f32: the targets are made on the host and copied)
         return cross_entropy(v[0], Tensor::full({3}, -100, DType::I64).to(v[0].device()), -100);
       }},
      {"mse_loss all masked", {in({3, 4}), in({3, 4})},
       [](const V& v) {
         return mse_loss(v[0], v[1], Tensor::zeros(v[0].shape(), v[0].dtype(), v[0].device()));
       }},
      {"mse_loss", {in({3, 4}), in({3, 4})}, [](const V& v) { return mse_loss(v[0], v[1]); }},
      {"mse_loss masked", {in({3, 4}), in({3, 4}), nograd({3, 4}, Init::Mask)},
       [](const V& v) { return mse_loss(v[0], v[1], v[2]); }},
      {"l1_loss", {in({3, 4}, Init::AwayFromZero), nograd({3, 4}, Init::Mask)},
       [](const V& v) {
         // target = 0 keeps |pred - target| away from the kink.
         return l1_loss(v[0], Tensor::zeros(v[0].shape(), v[0].dtype(), v[0].device()), v[1]);
       }},
  };
  return table;
}

std::vector<Tensor> make_inputs(const OpCase& c, DType dt, Device dev, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Tensor> out;
  for (const auto& s : c.inputs) {
    const int64_t n = shape_numel(s.shape);
    std::vector<double> v(static_cast<size_t>(n));
    std::vector<int64_t> iv(static_cast<size_t>(n));
    std::normal_distribution<double> nd(0, 1);
    std::uniform_real_distribution<double> ud(0, 1);
    switch (s.init) {
      case Init::Normal:
        for (auto& e : v) e = nd(rng);
        break;
      case Init::AwayFromZero:
        for (auto& e : v) e = (ud(rng) < 0.5 ? -1 : 1) * (0.1 + ud(rng));
        break;
      case Init::Distinct: {
        std::vector<int64_t> perm(static_cast<size_t>(n));
        std::iota(perm.begin(), perm.end(), 0);
        std::shuffle(perm.begin(), perm.end(), rng);
        for (int64_t i = 0; i < n; ++i) v[i] = 0.1 * double(perm[i]) - 0.05 * double(n);
        break;
      }
      case Init::Positive:
        for (auto& e : v) e = 0.5 + ud(rng);
        break;
      case Init::Mask:
        for (auto& e : v) e = ud(rng) < 0.7 ? 1.0 : 0.0;
        break;
      case Init::Labels:
      case Init::Indices:
        for (auto& e : iv) e = int64_t(rng() % uint64_t(s.label_max));
        break;
      case Init::LabelsIgnore:
        for (auto& e : iv) e = (rng() % 4 == 0) ? -100 : int64_t(rng() % uint64_t(s.label_max));
        break;
    }
    Tensor t;
    if (s.init == Init::Labels || s.init == Init::LabelsIgnore || s.init == Init::Indices)
      t = Tensor::from_vector(iv, s.shape, dev);
    else
      t = Tensor::from_vector(v, s.shape).to(dt).to(dev);
    if (s.grad) t.set_requires_grad(true);
    out.push_back(t);
  }
  return out;
}

double nmse(const Tensor& ref, const Tensor& got) {
  const auto r = ref.to_vector<double>(), g = got.to_vector<double>();
  SS_CHECK(r.size() == g.size(), "nmse: ", ref.desc(), " vs ", got.desc());
  double num = 0, den = 0;
  for (size_t i = 0; i < r.size(); ++i) num += (r[i] - g[i]) * (r[i] - g[i]), den += r[i] * r[i];
  return den > 0 ? num / den : num;
}

}  // namespace ss::test
