// Activations and elementwise arithmetic.
#include "op_util.h"
#include "ss/autograd.h"
#include "ss/kernels/act.h"
#include "ss/kernels/elementwise.h"
#include "ss/ops.h"

namespace ss {
namespace {

// Pointwise ops keep a dense input's layout (NCHW or NHWC): they never look at indices.
Tensor like(const Tensor& t) { return Tensor::empty_like(t); }

// y = f(x) for unary kernels with signature (const T* x, T* y, n, extra...).
#define SS_UNARY(opname, cpu_call, cuda_call)                                            \
  [&](const Tensor& x, Tensor& y) {                                                      \
    const int64_t n = x.numel();                                                         \
    backend(x, opname,                                                                   \
            [&](auto z) {                                                                \
              using T = decltype(z);                                                     \
              cpu_call;                                                                  \
            },                                                                           \
            [&] { SS_CUDA(cuda_call); });                                                \
  }

}  // namespace

Tensor relu(const Tensor& x_in) {
  if (is_half(x_in) && x_in.is_cuda()) return relu_f16_cuda(x_in);
  if (is_half(x_in)) return via_f32([&] { return relu(to_f32(x_in)); });
  Tensor x = x_in.dense(), y = like(x);
  SS_UNARY("relu", cpu::relu_fwd<T>(x.data<T>(), y.data<T>(), n),
           cuda::relu_fwd(x.data<float>(), y.data<float>(), n))(x, y);
  Tensor xs = x.detach();
  record(y, "relu", {x_in}, [xs](const Tensor& g_in) {
    Tensor g = g_in.contiguous_like(xs), dx = like(xs);
    const int64_t n = xs.numel();
    backend(xs, "relu backward",
            [&](auto z) {
              using T = decltype(z);
              cpu::relu_bwd<T>(xs.data<T>(), g.data<T>(), dx.data<T>(), n);
            },
            [&] { SS_CUDA(cuda::relu_bwd(xs.data<float>(), g.data<float>(), dx.data<float>(), n)); });
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor celu(const Tensor& x_in, double alpha) {
  if (is_half(x_in) && x_in.is_cuda()) return celu_f16_cuda(x_in, alpha);
  if (is_half(x_in)) return via_f32([&] { return celu(to_f32(x_in), alpha); });
  SS_CHECK(alpha > 0, "celu: alpha must be positive, got ", alpha);
  Tensor x = x_in.dense(), y = like(x);
  SS_UNARY("celu", cpu::celu_fwd<T>(x.data<T>(), y.data<T>(), n, T(alpha)),
           cuda::celu_fwd(x.data<float>(), y.data<float>(), n, float(alpha)))(x, y);
  Tensor xs = x.detach();
  record(y, "celu", {x_in}, [xs, alpha](const Tensor& g_in) {
    Tensor g = g_in.contiguous_like(xs), dx = like(xs);
    const int64_t n = xs.numel();
    backend(xs, "celu backward",
            [&](auto z) {
              using T = decltype(z);
              cpu::celu_bwd<T>(xs.data<T>(), g.data<T>(), dx.data<T>(), n, T(alpha));
            },
            [&] {
              SS_CUDA(cuda::celu_bwd(xs.data<float>(), g.data<float>(), dx.data<float>(), n,
                                     float(alpha)));
            });
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor tanh(const Tensor& x_in) {
  if (is_half(x_in)) return tanh(to_f32(x_in));
  Tensor x = x_in.dense(), y = like(x);
  SS_UNARY("tanh", cpu::tanh_fwd<T>(x.data<T>(), y.data<T>(), n),
           cuda::tanh_fwd(x.data<float>(), y.data<float>(), n))(x, y);
  Tensor ys = y.detach();
  record(y, "tanh", {x_in}, [ys](const Tensor& g_in) {
    Tensor g = g_in.contiguous_like(ys), dx = like(ys);
    const int64_t n = ys.numel();
    backend(ys, "tanh backward",
            [&](auto z) {
              using T = decltype(z);
              cpu::tanh_bwd<T>(ys.data<T>(), g.data<T>(), dx.data<T>(), n);
            },
            [&] { SS_CUDA(cuda::tanh_bwd(ys.data<float>(), g.data<float>(), dx.data<float>(), n)); });
    return std::vector<Tensor>{dx};
  });
  return y;
}

Tensor exp(const Tensor& x_in) {
  if (is_half(x_in)) return exp(to_f32(x_in));
  Tensor x = x_in.dense(), y = like(x);
  SS_UNARY("exp", cpu::exp_fwd<T>(x.data<T>(), y.data<T>(), n),
           cuda::exp_fwd(x.data<float>(), y.data<float>(), n))(x, y);
  Tensor ys = y.detach();
  record(y, "exp", {x_in}, [ys](const Tensor& g) { return std::vector<Tensor>{mul(g, ys)}; });
  return y;
}

Tensor softclip(const Tensor& x_in, double c) {
  if (is_half(x_in)) return softclip(to_f32(x_in), c);
  SS_CHECK(c > 0, "softclip: c must be positive, got ", c);
  Tensor x = x_in.dense(), y = like(x);
  SS_UNARY("softclip", cpu::softclip_fwd<T>(x.data<T>(), y.data<T>(), n, T(c)),
           cuda::softclip_fwd(x.data<float>(), y.data<float>(), n, float(c)))(x, y);
  Tensor xs = x.detach();
  record(y, "softclip", {x_in}, [xs, c](const Tensor& g_in) {
    Tensor g = g_in.contiguous_like(xs), dx = like(xs);
    const int64_t n = xs.numel();
    backend(xs, "softclip backward",
            [&](auto z) {
              using T = decltype(z);
              cpu::softclip_bwd<T>(xs.data<T>(), g.data<T>(), dx.data<T>(), n, T(c));
            },
            [&] {
              SS_CUDA(cuda::softclip_bwd(xs.data<float>(), g.data<float>(), dx.data<float>(), n,
                                         float(c)));
            });
    return std::vector<Tensor>{dx};
  });
  return y;
}

// ---- binary elementwise ----
namespace {
enum class Bin { Add, Sub, Mul };

Tensor binary_kernel(Bin op, const Tensor& a, const Tensor& b) {
  Tensor y = like(a);
  const int64_t n = a.numel();
  backend(a, "elementwise",
          [&](auto z) {
            using T = decltype(z);
            if (op == Bin::Add) cpu::add<T>(a.data<T>(), b.data<T>(), y.data<T>(), n);
            if (op == Bin::Sub) cpu::sub<T>(a.data<T>(), b.data<T>(), y.data<T>(), n);
            if (op == Bin::Mul) cpu::mul<T>(a.data<T>(), b.data<T>(), y.data<T>(), n);
          },
          [&] {
            SS_CUDA(if (op == Bin::Add) cuda::add(a.data<float>(), b.data<float>(), y.data<float>(), n);
                    if (op == Bin::Sub) cuda::sub(a.data<float>(), b.data<float>(), y.data<float>(), n);
                    if (op == Bin::Mul) cuda::mul(a.data<float>(), b.data<float>(), y.data<float>(), n));
          });
  return y;
}

bool is_channel_bias(const Tensor& a, const Tensor& b) {
  return b.dim() == 1 && a.dim() >= 2 && a.size(1) == b.size(0) && a.shape() != b.shape();
}

Tensor add_channel_bias(const Tensor& a_in, const Tensor& bias_in) {
  // NHWC is [N*H*W, C] with inner == 1: the bias and its gradient run on it directly.
  Tensor a = a_in.dense(), bias = bias_in.contiguous();
  const bool nhwc = strictly_channels_last(a);
  Tensor y = a.clone();  // keeps NHWC
  const int64_t C = a.size(1);
  const int64_t N = nhwc ? a.numel() / std::max<int64_t>(C, 1) : a.size(0);
  const int64_t inner = nhwc ? 1 : a.numel() / std::max<int64_t>(N * C, 1);
  backend(a, "add(bias)",
          [&](auto z) {
            using T = decltype(z);
            cpu::bias_add<T>(y.data<T>(), bias.data<T>(), N, int(C), inner);
          },
          [&] { SS_CUDA(cuda::bias_add(y.data<float>(), bias.data<float>(), N, int(C), inner)); });
  record(y, "add(bias)", {a_in, bias_in}, [N, C, inner, nhwc](const Tensor& g_in) {
    Tensor g = nhwc ? g_in.channels_last() : g_in.contiguous();
    Tensor db = Tensor::empty({C}, g.dtype(), g.device());
    backend(g, "add(bias) backward",
            [&](auto z) {
              using T = decltype(z);
              cpu::bias_grad<T>(g.data<T>(), N, int(C), inner, db.data<T>());
            },
            [&] { SS_CUDA(cuda::bias_grad(g.data<float>(), N, int(C), inner, db.data<float>())); });
    return std::vector<Tensor>{g, db};
  });
  return y;
}

// f16 with f16 stays f16; f16 with anything wider promotes to the wider type (torch rule).
Tensor binary_half(Tensor (*op)(const Tensor&, const Tensor&), const Tensor& a,
                   const Tensor& b) {
  if (is_half(a) && is_half(b)) return via_f32([&] { return op(to_f32(a), to_f32(b)); });
  return op(to_f32(a), to_f32(b));
}
}  // namespace

Tensor add(const Tensor& a_in, const Tensor& b_in) {
  if (is_half(a_in) && is_half(b_in) && a_in.is_cuda()) {
    check_same("add", {&a_in, &b_in});
    return add_f16_cuda(a_in, b_in);
  }
  if (is_half(a_in) || is_half(b_in)) return binary_half(add, a_in, b_in);
  check_same("add", {&a_in, &b_in});
  if (is_channel_bias(a_in, b_in)) return add_channel_bias(a_in, b_in);
  SS_CHECK(a_in.shape() == b_in.shape(), "add: shapes differ: ", a_in.desc(), " + ", b_in.desc());
  Tensor a = a_in.dense(), b = b_in.contiguous_like(a);
  Tensor y = binary_kernel(Bin::Add, a, b);
  record(y, "add", {a_in, b_in}, [](const Tensor& g) { return std::vector<Tensor>{g, g}; });
  return y;
}

Tensor sub(const Tensor& a_in, const Tensor& b_in) {
  if (is_half(a_in) || is_half(b_in)) return binary_half(sub, a_in, b_in);
  check_same("sub", {&a_in, &b_in});
  SS_CHECK(a_in.shape() == b_in.shape(), "sub: shapes differ: ", a_in.desc(), " - ", b_in.desc());
  Tensor a = a_in.dense(), b = b_in.contiguous_like(a);
  Tensor y = binary_kernel(Bin::Sub, a, b);
  record(y, "sub", {a_in, b_in},
         [](const Tensor& g) { return std::vector<Tensor>{g, scale(g, -1.0)}; });
  return y;
}

Tensor mul(const Tensor& a_in, const Tensor& b_in) {
  if (is_half(a_in) || is_half(b_in)) return binary_half(mul, a_in, b_in);
  check_same("mul", {&a_in, &b_in});
  SS_CHECK(a_in.shape() == b_in.shape(), "mul: shapes differ: ", a_in.desc(), " * ", b_in.desc());
  Tensor a = a_in.dense(), b = b_in.contiguous_like(a);
  Tensor y = binary_kernel(Bin::Mul, a, b);
  const bool need_a = a_in.requires_grad(), need_b = b_in.requires_grad();
  Tensor as = need_b ? a.detach() : Tensor(), bs = need_a ? b.detach() : Tensor();
  record(y, "mul", {a_in, b_in}, [as, bs](const Tensor& g_in) {
    Tensor g = g_in.contiguous_like(as.defined() ? as : bs);
    return std::vector<Tensor>{bs.defined() ? binary_kernel(Bin::Mul, g, bs) : Tensor(),
                               as.defined() ? binary_kernel(Bin::Mul, g, as) : Tensor()};
  });
  return y;
}

Tensor scale(const Tensor& x_in, double s) {
  if (is_half(x_in) && x_in.is_cuda()) return scale_f16_cuda(x_in, s);
  if (is_half(x_in)) return via_f32([&] { return scale(to_f32(x_in), s); });
  Tensor x = x_in.dense(), y = like(x);
  const int64_t n = x.numel();
  backend(x, "scale",
          [&](auto z) {
            using T = decltype(z);
            cpu::scale<T>(x.data<T>(), T(s), y.data<T>(), n);
          },
          [&] { SS_CUDA(cuda::scale(x.data<float>(), float(s), y.data<float>(), n)); });
  record(y, "scale", {x_in}, [s](const Tensor& g) { return std::vector<Tensor>{scale(g, s)}; });
  return y;
}

Tensor add_scalar(const Tensor& x_in, double s) {
  if (is_half(x_in)) return via_f32([&] { return add_scalar(to_f32(x_in), s); });
  Tensor x = x_in.contiguous();
  Tensor c = Tensor::full(x.shape(), s, x.dtype(), x.device());
  Tensor y = binary_kernel(Bin::Add, x, c);
  record(y, "add_scalar", {x_in}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
  return y;
}

}  // namespace ss
