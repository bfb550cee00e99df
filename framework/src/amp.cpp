// Autocast state and the differentiable cast (policy in ss/amp.h).
#include "ss/amp.h"

#include "op_util.h"
#include "ss/autograd.h"

namespace ss {
namespace {
thread_local bool g_autocast = false;
thread_local bool g_channels_last = false;
}  // namespace

bool Autocast::enabled() { return g_autocast; }
void Autocast::set_enabled(bool on) { g_autocast = on; }

Tensor cast(const Tensor& x, DType dt) {
  if (!x.defined() || x.dtype() == dt) return x;
  SS_CHECK(is_floating(x.dtype()) && is_floating(dt), "cast: ", x.desc(), " to ",
           dtype_name(dt), " (float types only)");
  Tensor y = x.to(dt);
  const DType src = x.dtype();
  record(y, "cast", {x}, [src](const Tensor& g) { return std::vector<Tensor>{g.to(src)}; });
  return y;
}

bool ChannelsLast::enabled() { return g_channels_last; }
void ChannelsLast::set_enabled(bool on) { g_channels_last = on; }

Tensor to_channels_last(const Tensor& x) {
  if (x.is_channels_last()) return x;
  Tensor y = x.channels_last();
  record(y, "to_channels_last", {x},
         [](const Tensor& g) { return std::vector<Tensor>{g.contiguous()}; });
  return y;
}

Tensor to_f32(const Tensor& t) { return is_half(t) ? cast(t, DType::F32) : t; }
Tensor to_f16(const Tensor& t) { return cast(t, DType::F16); }

bool autocast_half(std::initializer_list<const Tensor*> ts) {
  if (Autocast::enabled()) return true;
  for (const Tensor* t : ts)
    if (is_half(*t)) return true;
  return false;
}

}  // namespace ss
