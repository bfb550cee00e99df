// Reverse-mode autograd. Every differentiable op records one Node holding a backward
// closure and edges to its inputs; Tensor::backward() runs an iterative topological
// sweep (no recursion, so deep graphs cannot overflow the stack). A node's closure and
// saved tensors are released after it runs, so a second backward through the same graph
// is an error that names the op, rather than silently wrong.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ss/tensor.h"

namespace ss {

struct Edge {
  std::shared_ptr<Node> fn;           // interior input: its producer
  std::shared_ptr<TensorImpl> leaf;   // leaf input that requires grad
};

struct Node {
  const char* name = "op";
  std::vector<Edge> next;  // one per differentiable input position
  // grad_out -> one gradient per input position (undefined Tensor = no gradient).
  std::function<std::vector<Tensor>(const Tensor&)> backward;
  bool released = false;
};

class GradMode {
 public:
  static bool enabled();
  static void set_enabled(bool on);
};

class NoGradGuard {
 public:
  NoGradGuard() : prev_(GradMode::enabled()) { GradMode::set_enabled(false); }
  ~NoGradGuard() { GradMode::set_enabled(prev_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool prev_;
};

// Called by every op after computing `out` from `inputs`. If grad mode is on and any
// input requires grad, attaches a Node with `backward` to `out`. Closures must capture
// saved tensors via detach() (no history) to avoid reference cycles.
void record(Tensor& out, const char* name, const std::vector<Tensor>& inputs,
            std::function<std::vector<Tensor>(const Tensor&)> backward);

// Do any of these need a gradient (and is grad mode on)?
bool any_requires_grad(const std::vector<Tensor>& inputs);

// Run the backward sweep from `root` with seed gradient `grad`.
void run_backward(const Tensor& root, const Tensor& grad);

// Inside a backward rule: the gradient already summed for input `i` by other consumers,
// when nothing else holds it (tensor and storage), so the rule may add its own gradient
// into it in place and return that same tensor as input i's gradient; the sweep then
// skips its add. Undefined otherwise. A rule that does not return it must not write it.
// (A residual block's input: the shortcut's gradient is pending when the first
// convolution's backward-data runs, which can then accumulate on the fly.)
Tensor grad_accumulator(size_t i);
// Gradients summed in place that way by this thread's backward sweeps (for tests).
int64_t grads_accumulated_in_place();
// Leaf gradients that became the leaf's .grad without a copy (nothing else held them), by
// this thread's backward sweeps (for tests).
int64_t leaf_grads_taken();

}  // namespace ss
