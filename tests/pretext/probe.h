// Linear probe for the pretext tests: frozen features (eval-mode BN, no grad) of a
// FeatureNet, standardised with the train statistics, and a softmax regression trained
// full-batch with Adam. Returns train and held-out accuracy.
#pragma once
#include <memory>
#include <vector>

#include "ss/autograd.h"
#include "ss/data/h5dataset.h"
#include "ss/models/feature_net.h"
#include "ss/ops.h"
#include "ss/optim.h"

namespace ss::pretext::testing {

inline Tensor extract_features(models::FeatureNet& net, const data::H5Dataset& ds, const std::vector<int64_t>& idx) {
  NoGradGuard ng;
  const bool was = net.is_training();
  net.eval();
  std::vector<Tensor> parts;
  for (size_t i = 0; i < idx.size(); i += 250) {
    std::vector<int64_t> chunk(idx.begin() + i, idx.begin() + std::min(idx.size(), i + 250));
    parts.push_back(net.features(ds.images(chunk)));
  }
  net.train(was);
  return concat(parts, 0);
}

struct ProbeResult {
  double train_acc = 0, valid_acc = 0;
};

inline double accuracy(const Tensor& logits, const std::vector<int64_t>& y) {
  std::vector<float> l = logits.to_vector<float>();
  const int64_t C = logits.size(1);
  int64_t hit = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    int64_t best = 0;
    for (int64_t c = 1; c < C; ++c)
      if (l[i * C + c] > l[i * C + best]) best = c;
    hit += best == y[i];
  }
  return double(hit) / double(y.size());
}

inline ProbeResult linear_probe(models::FeatureNet& net, const data::H5Dataset& ds, const std::vector<int64_t>& train,
                                const std::vector<int64_t>& valid, int iters = 300) {
  Tensor ftr = extract_features(net, ds, train), fva = extract_features(net, ds, valid);
  const int64_t F = ftr.size(1);
  // standardise with train statistics
  std::vector<float> a = ftr.to_vector<float>(), b = fva.to_vector<float>();
  for (int64_t j = 0; j < F; ++j) {
    double m = 0, v = 0;
    const size_t n = train.size();
    for (size_t i = 0; i < n; ++i) m += a[i * F + j];
    m /= double(n);
    for (size_t i = 0; i < n; ++i) v += (a[i * F + j] - m) * (a[i * F + j] - m);
    const double s = std::sqrt(v / double(n)) + 1e-6;
    for (size_t i = 0; i < n; ++i) a[i * F + j] = float((a[i * F + j] - m) / s);
    for (size_t i = 0; i < valid.size(); ++i) b[i * F + j] = float((b[i * F + j] - m) / s);
  }
  Tensor xtr = Tensor::from_vector(a, ftr.shape()), xva = Tensor::from_vector(b, fva.shape());
  std::vector<int64_t> ytr = ds.labels(train).to_vector<int64_t>(), yva = ds.labels(valid).to_vector<int64_t>();
  Tensor yt = Tensor::from_vector(ytr, {int64_t(ytr.size())});
  Tensor W = Tensor::zeros({10, F}).set_requires_grad(true), bias = Tensor::zeros({10}).set_requires_grad(true);
  optim::Adam opt({W, bias}, {1e-2, 0.9, 0.999, 1e-8, 1e-3});
  for (int it = 0; it < iters; ++it) {
    Tensor loss = cross_entropy(linear(xtr, W, bias), yt);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  NoGradGuard ng;
  return {accuracy(linear(xtr, W, bias), ytr), accuracy(linear(xva, W, bias), yva)};
}

}  // namespace ss::pretext::testing
