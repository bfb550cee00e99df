#include "ss/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "op_util.h"
#include "ss/ops.h"

namespace ss {
namespace {
thread_local bool g_grad_enabled = true;
}

bool GradMode::enabled() { return g_grad_enabled; }
void GradMode::set_enabled(bool on) { g_grad_enabled = on; }

bool any_requires_grad(const std::vector<Tensor>& inputs) {
  if (!GradMode::enabled()) return false;
  for (const auto& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record(Tensor& out, const char* name, const std::vector<Tensor>& inputs,
            std::function<std::vector<Tensor>(const Tensor&)> backward) {
  if (!any_requires_grad(inputs)) return;
  auto node = std::make_shared<Node>();
  node->name = name;
  node->backward = std::move(backward);
  node->next.resize(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& t = inputs[i];
    if (!t.defined() || !t.requires_grad()) continue;
    if (t.grad_fn())
      node->next[i].fn = t.grad_fn();
    else
      node->next[i].leaf = t.impl_ptr();
  }
  out.impl().grad_fn = node;
  out.impl().requires_grad = true;
}

namespace {
thread_local const std::vector<Tensor>* t_accumulators = nullptr;
thread_local int64_t t_in_place = 0, t_taken = 0;

// Nothing but the caller's one handle holds t (tensor or storage).
bool exclusive(const Tensor& t) {
  return t.impl_ptr().use_count() == 1 && t.impl().storage.use_count() == 1;
}

// The pending gradients node's rule may add into: an input's pending sum that only the
// sweep's map holds (so no rule reads it as its incoming gradient or saved tensor), for
// an input fed by one edge of the node.
std::vector<Tensor> offer_accumulators(const Node& node,
                                       const std::unordered_map<Node*, Tensor>& grads) {
  std::vector<Tensor> acc(node.next.size());
  for (size_t i = 0; i < node.next.size(); ++i) {
    Node* n = node.next[i].fn.get();
    if (!n) continue;
    int edges = 0;
    for (const Edge& e : node.next) edges += e.fn.get() == n;
    auto it = grads.find(n);
    if (edges != 1 || it == grads.end()) continue;
    const Tensor& t = it->second;
    if (exclusive(t) && t.is_dense()) acc[i] = t;
  }
  return acc;
}

// Sets the offers for one rule's call.
class OfferScope {
 public:
  explicit OfferScope(const std::vector<Tensor>* acc) : prev_(t_accumulators) {
    t_accumulators = acc;
  }
  ~OfferScope() { t_accumulators = prev_; }
  OfferScope(const OfferScope&) = delete;
  OfferScope& operator=(const OfferScope&) = delete;

 private:
  const std::vector<Tensor>* prev_;
};

void accumulate_leaf(TensorImpl& leaf, const Tensor& g) {
  SS_CHECK(leaf.shape == g.shape(), "gradient for leaf ", shape_str(leaf.shape),
           " has shape ", shape_str(g.shape()));
  if (!leaf.grad) {
    // A gradient nothing else holds becomes the leaf's as it is (PyTorch's AccumulateGrad
    // does the same): no copy per parameter per step (ResNet50: 161 device copies).
    if (exclusive(g) && g.is_contiguous() && !g.requires_grad()) {
      leaf.grad = g.impl_ptr();
      ++t_taken;
    } else {
      leaf.grad = (g.is_contiguous() ? g.clone() : g.contiguous()).impl_ptr();
    }
  } else {
    Tensor dst(leaf.grad);
    accumulate_into(dst, g);
  }
}
}  // namespace

void run_backward(const Tensor& root, const Tensor& grad_in) {
  SS_CHECK(root.requires_grad(), "backward on a tensor that does not require grad (",
           root.desc(), ")");
  Tensor grad = grad_in;
  if (!grad.defined()) {
    SS_CHECK(root.numel() == 1, "backward on non-scalar ", root.desc(),
             " needs an explicit gradient");
    // Made in f32 and cast: CUDA fills only f32 (an f16 or f64 scalar root stays possible).
    grad = Tensor::ones(root.shape(), DType::F32, root.device()).to(root.dtype());
  }
  SS_CHECK(grad.shape() == root.shape(), "backward: gradient ", grad.desc(), " for ",
           root.desc());
  NoGradGuard no_grad;  // backward rules build no graph
  if (!root.grad_fn()) {
    accumulate_leaf(root.impl(), grad);
    return;
  }
  // Count, for every reachable node, how many edges point at it.
  std::unordered_map<Node*, int> deps;
  std::vector<Node*> stack{root.grad_fn().get()};
  std::unordered_set<Node*> seen{root.grad_fn().get()};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (auto& e : n->next) {
      if (!e.fn) continue;
      deps[e.fn.get()]++;
      if (seen.insert(e.fn.get()).second) stack.push_back(e.fn.get());
    }
  }
  std::unordered_map<Node*, Tensor> grads;
  grads[root.grad_fn().get()] = grad;
  std::vector<std::shared_ptr<Node>> ready{root.grad_fn()};
  while (!ready.empty()) {
    std::shared_ptr<Node> node = ready.back();
    ready.pop_back();
    SS_CHECK(!node->released, "backward through a graph that was already freed (op '",
             node->name, "'): run the forward pass again before a second backward");
    Tensor g;
    if (auto it = grads.find(node.get()); it != grads.end()) {
      g = it->second;
      grads.erase(it);
    }
    std::vector<Tensor> in_grads(node->next.size());
    std::vector<Tensor> acc;  // this rule's offers, kept to recognise the one it returned
    if (g.defined()) {  // a node reached by no gradient only passes the count on
      {
        acc = offer_accumulators(*node, grads);
        OfferScope offers(&acc);
        in_grads = node->backward(g);
      }
      SS_CHECK(in_grads.size() == node->next.size(), "op '", node->name, "' returned ",
               in_grads.size(), " gradients for ", node->next.size(), " inputs");
    }
    node->backward = nullptr;  // frees saved tensors
    node->released = true;
    for (size_t i = 0; i < node->next.size(); ++i) {
      Edge& e = node->next[i];
      const Tensor& gi = in_grads[i];
      if (e.leaf) {
        if (gi.defined()) accumulate_leaf(*e.leaf, gi);
      } else if (e.fn) {
        if (gi.defined()) {
          auto it = grads.find(e.fn.get());
          if (it == grads.end()) {
            grads.emplace(e.fn.get(), gi.dense());  // NHWC gradients stay NHWC
          } else if (gi.same(acc[i])) {
            // The rule added into the sum it was offered (grad_accumulator), which is the
            // pending one: offers go only to nodes reached by one edge. (acc has an entry
            // per input whenever a gradient was computed.)
            ++t_in_place;
          } else {
            // Never accumulate in place into a tensor a backward rule may share. Same
            // dtype: one out-of-place add (f16: f32 arithmetic, one rounding), instead
            // of a clone, two casts to f32, an axpy and a cast back.
            if (gi.dtype() == it->second.dtype()) {
              it->second = add(it->second, gi);
            } else {
              Tensor sum = it->second.clone();
              accumulate_into(sum, gi);
              it->second = sum;
            }
          }
        }
        if (--deps[e.fn.get()] == 0) ready.push_back(e.fn);
      }
    }
    node->next.clear();
  }
}

Tensor grad_accumulator(size_t i) {
  if (!t_accumulators || i >= t_accumulators->size()) return {};
  return (*t_accumulators)[i];
}
int64_t grads_accumulated_in_place() { return t_in_place; }
int64_t leaf_grads_taken() { return t_taken; }

}  // namespace ss
