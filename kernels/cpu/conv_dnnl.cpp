// fp32 convolution on oneDNN (the library PyTorch's CPU convolutions use), for NCHW user
// tensors. Direct algorithm only (no Winograd), so results stay within float rounding of
// the im2col+GEMM reference in conv.cpp, which still serves double and every geometry
// oneDNN turns down.
//
// Layouts: with at least 16 input and output channels the primitives pick their own
// blocked layouts (format_tag::any, e.g. nChw16c / OIhw16i16o) and we reorder the NCHW
// operands in and out; that is ~1.3-2x faster than oneDNN's plain-NCHW (GEMM-based)
// implementation even counting the reorders. With fewer channels (the RGB stem) the blocked
// reorders cost more than they save, so forward and backward-data stay plain NCHW / OIHW.
//
// Each (op, geometry, thread count) gets a Plan — primitive, reorders, buffer sizes — built
// once and cached. The blocked copies and oneDNN's scratchpad live in per-thread, grow-only
// buffers (a fresh allocation per call would page-fault tens of MB every time), so plans
// can run concurrently from several threads.
//
// SS_CONV_IM2COL=1 in the environment disables this path (for A/B checks).
#include "ss/kernels/conv.h"

#ifdef SS_WITH_DNNL
#include <omp.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <unordered_map>

namespace ss::cpu::detail {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

enum class Op : int { Fwd = 0, BwdData = 1, BwdFilter = 2 };

// Operand slots: A = src / diff_src, B = weights / diff_weights, C = dst / diff_dst.
enum Slot : int { kA = 0, kB = 1, kC = 2, kSlots = 3 };

struct Plan {
  dnnl::primitive prim;
  std::array<int, kSlots> arg{};                             // DNNL_ARG_* of each slot
  std::array<bool, kSlots> is_output{};                      // slot the primitive writes
  std::array<memory::desc, kSlots> user, in;                 // NCHW user layout, primitive layout
  std::array<std::optional<dnnl::reorder>, kSlots> reorder;  // user<->in where they differ
  size_t scratch_bytes = 0;
};

using Key = std::array<int, 15>;
struct KeyHash {
  size_t operator()(const Key& k) const {
    size_t h = 1469598103934665603ull;
    for (int v : k) h = (h ^ size_t(uint32_t(v))) * 1099511628211ull;
    return h;
  }
};

dnnl::engine& cpu_engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

bool disabled_by_env() {
  static const bool off = [] {
    const char* e = std::getenv("SS_CONV_IM2COL");
    return e && *e && std::strcmp(e, "0") != 0;
  }();
  return off;
}

dnnl::primitive_attr user_scratchpad() {
  dnnl::primitive_attr a;
  a.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return a;
}

// Builds the primitive for one op; nullptr where oneDNN has no implementation (or the
// geometry is one it cannot express, e.g. negative right padding).
std::unique_ptr<Plan> make_plan(Op op, const ConvGeom& g) {
  const int P = g.P(), Q = g.Q();
  const int pad_r_h = (P - 1) * g.stride_h + (g.R - 1) * g.dil_h + 1 - g.H - g.pad_h;
  const int pad_r_w = (Q - 1) * g.stride_w + (g.S - 1) * g.dil_w + 1 - g.W - g.pad_w;
  if (pad_r_h < 0 || pad_r_w < 0) return nullptr;

  auto& eng = cpu_engine();
  const memory::dims xd{g.N, g.C, g.H, g.W}, wd{g.K, g.C, g.R, g.S}, yd{g.N, g.K, P, Q};
  const memory::dims st{g.stride_h, g.stride_w}, dil{g.dil_h - 1, g.dil_w - 1};
  const memory::dims pl{g.pad_h, g.pad_w}, pr{pad_r_h, pad_r_w};
  // Plain layouts only for forward / backward-data with few channels; backward-weights is
  // always blocked: oneDNN's plain (GEMM-based) weight gradient syncs its threads with spin
  // barriers and, with 2 threads on a busy machine, often takes 10-50x longer (stem: 500 ms
  // instead of 20-40 ms), where the blocked one costs ~10% at worst.
  const bool blocked = op == Op::BwdFilter || (g.C >= 16 && g.K >= 16);
  const memory::desc xu(xd, dt::f32, tag::nchw), wu(wd, dt::f32, tag::oihw),
      yu(yd, dt::f32, tag::nchw);
  const memory::desc xa = blocked ? memory::desc(xd, dt::f32, tag::any) : xu;
  const memory::desc wa = blocked ? memory::desc(wd, dt::f32, tag::any) : wu;
  const memory::desc ya = blocked ? memory::desc(yd, dt::f32, tag::any) : yu;
  const auto attr = user_scratchpad();
  const auto alg = dnnl::algorithm::convolution_direct;

  auto plan = std::make_unique<Plan>();
  plan->user = {xu, wu, yu};
  const dnnl::convolution_forward::desc fd(dnnl::prop_kind::forward_training, alg, xa, wa, ya, st,
                                           dil, pl, pr);
  if (op == Op::Fwd) {
    const dnnl::convolution_forward::primitive_desc pd(fd, attr, eng);
    plan->prim = dnnl::convolution_forward(pd);
    plan->arg = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DST};
    plan->is_output = {false, false, true};
    plan->in = {pd.src_desc(), pd.weights_desc(), pd.dst_desc()};
    plan->scratch_bytes = pd.scratchpad_desc().get_size();
  } else {
    const dnnl::convolution_forward::primitive_desc hint(fd, eng);
    if (op == Op::BwdData) {
      const dnnl::convolution_backward_data::desc bd(alg, xa, wa, ya, st, dil, pl, pr);
      const dnnl::convolution_backward_data::primitive_desc pd(bd, attr, eng, hint);
      plan->prim = dnnl::convolution_backward_data(pd);
      plan->arg = {DNNL_ARG_DIFF_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_DST};
      plan->is_output = {true, false, false};
      plan->in = {pd.diff_src_desc(), pd.weights_desc(), pd.diff_dst_desc()};
      plan->scratch_bytes = pd.scratchpad_desc().get_size();
    } else {
      const dnnl::convolution_backward_weights::desc bd(alg, xa, wa, ya, st, dil, pl, pr);
      const dnnl::convolution_backward_weights::primitive_desc pd(bd, attr, eng, hint);
      plan->prim = dnnl::convolution_backward_weights(pd);
      plan->arg = {DNNL_ARG_SRC, DNNL_ARG_DIFF_WEIGHTS, DNNL_ARG_DIFF_DST};
      plan->is_output = {false, true, false};
      plan->in = {pd.src_desc(), pd.diff_weights_desc(), pd.diff_dst_desc()};
      plan->scratch_bytes = pd.scratchpad_desc().get_size();
    }
  }
  for (int s = 0; s < kSlots; ++s) {
    if (plan->in[s] == plan->user[s]) continue;
    const memory::desc& from = plan->is_output[s] ? plan->in[s] : plan->user[s];
    const memory::desc& to = plan->is_output[s] ? plan->user[s] : plan->in[s];
    const dnnl::reorder::primitive_desc rpd(eng, from, eng, to, attr);
    plan->scratch_bytes = std::max(plan->scratch_bytes, rpd.scratchpad_desc().get_size());
    plan->reorder[s] = dnnl::reorder(rpd);
  }
  return plan;
}

// The cached plan for (op, g, current OpenMP thread count); null if oneDNN declines.
std::shared_ptr<const Plan> get_plan(Op op, const ConvGeom& g) {
  static std::mutex mu;
  static std::unordered_map<Key, std::shared_ptr<const Plan>, KeyHash> cache;
  const Key key{int(op), g.N,     g.C,     g.H,        g.W,
                g.K,     g.R,     g.S,     g.stride_h, g.stride_w,
                g.pad_h, g.pad_w, g.dil_h, g.dil_w,    omp_get_max_threads()};
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  std::shared_ptr<const Plan> plan;
  try {
    plan = make_plan(op, g);
  } catch (const dnnl::error&) {
    plan = nullptr;
  }
  // A stream of ever-new shapes must not grow the cache without bound; running calls keep
  // their plans alive through the shared_ptr.
  if (cache.size() >= 1024) cache.clear();
  cache.emplace(key, plan);
  return plan;
}

// Per-thread grow-only byte buffers: the blocked copy of each slot and the scratchpad.
struct Arena {
  struct Buf {
    void* p = nullptr;
    size_t n = 0;
  };
  std::array<Buf, kSlots + 1> bufs;
  void* get(int i, size_t bytes) {
    Buf& b = bufs[size_t(i)];
    if (b.n < bytes) {
      std::free(b.p);
      b.n = (bytes + 4095) & ~size_t(4095);
      b.p = std::aligned_alloc(4096, b.n);
      if (!b.p) {
        b.n = 0;
        throw std::bad_alloc();
      }
    }
    return b.p;
  }
  ~Arena() {
    for (Buf& b : bufs) std::free(b.p);
  }
};

// Reorders in, the convolution, reorders out, on this thread's stream and buffers.
void execute(const Plan& plan, const std::array<void*, kSlots>& ptr) {
  thread_local Arena arena;
  thread_local std::optional<dnnl::stream> strm;
  auto& eng = cpu_engine();
  if (!strm) strm.emplace(eng);

  std::array<memory, kSlots> user, in;
  for (int s = 0; s < kSlots; ++s) {
    user[s] = memory(plan.user[s], eng, ptr[s]);
    in[s] =
        plan.reorder[s] ? memory(plan.in[s], eng, arena.get(s, plan.in[s].get_size())) : user[s];
  }
  const size_t scratch_bytes = std::max<size_t>(plan.scratch_bytes, 64);
  const memory scratch(memory::desc({memory::dim(scratch_bytes)}, dt::u8, tag::x), eng,
                       arena.get(kSlots, scratch_bytes));
  for (int s = 0; s < kSlots; ++s)
    if (plan.reorder[s] && !plan.is_output[s])
      plan.reorder[s]->execute(
          *strm, {{DNNL_ARG_FROM, user[s]}, {DNNL_ARG_TO, in[s]}, {DNNL_ARG_SCRATCHPAD, scratch}});
  plan.prim.execute(*strm, {{plan.arg[kA], in[kA]},
                            {plan.arg[kB], in[kB]},
                            {plan.arg[kC], in[kC]},
                            {DNNL_ARG_SCRATCHPAD, scratch}});
  for (int s = 0; s < kSlots; ++s)
    if (plan.reorder[s] && plan.is_output[s])
      plan.reorder[s]->execute(
          *strm, {{DNNL_ARG_FROM, in[s]}, {DNNL_ARG_TO, user[s]}, {DNNL_ARG_SCRATCHPAD, scratch}});
  strm->wait();
}

bool run(Op op, const ConvGeom& g, std::array<void*, kSlots> ptr) {
  if (disabled_by_env()) return false;
  if (g.N <= 0 || g.C <= 0 || g.K <= 0 || g.H <= 0 || g.W <= 0 || g.R <= 0 || g.S <= 0 ||
      g.P() <= 0 || g.Q() <= 0)
    return false;
  const std::shared_ptr<const Plan> plan = get_plan(op, g);
  if (!plan) return false;
  try {
    execute(*plan, ptr);
  } catch (const dnnl::error&) {
    return false;  // the caller's fallback overwrites whatever was written
  }
  return true;
}

}  // namespace

bool dnnl_conv_fwd(const ConvGeom& g, const float* x, const float* w, float* y) {
  return run(Op::Fwd, g, {const_cast<float*>(x), const_cast<float*>(w), y});
}
bool dnnl_conv_bwd_data(const ConvGeom& g, const float* dy, const float* w, float* dx) {
  return run(Op::BwdData, g, {dx, const_cast<float*>(w), const_cast<float*>(dy)});
}
bool dnnl_conv_bwd_filter(const ConvGeom& g, const float* x, const float* dy, float* dw) {
  return run(Op::BwdFilter, g, {const_cast<float*>(x), dw, const_cast<float*>(dy)});
}

}  // namespace ss::cpu::detail
#endif  // SS_WITH_DNNL
