// matmul and linear on GEMM (OpenBLAS on CPU, cuBLAS on CUDA).
#include "op_util.h"
#include "ss/autograd.h"
#include "ss/kernels/gemm.h"
#include "ss/ops.h"

namespace ss {
namespace {

// C[b] = op(A[b]) op(B[b]) for contiguous row-major matrices, batch strides given.
void gemm_call(bool ta, bool tb, int M, int N, int K, const Tensor& A, int64_t sa,
               const Tensor& B, int64_t sb, Tensor& C, int batch) {
  const int lda = ta ? M : K, ldb = tb ? K : N;
  if (is_half(A))  // CUDA only: the CPU computes f16 ops in f32 (via_f32)
    return SS_CUDA(cuda::gemm_batched_f16(ta, tb, M, N, K, 1.f, A.raw(), lda, sa, B.raw(), ldb,
                                          sb, 0.f, C.raw(), N, int64_t(M) * N, batch));
  backend(A, "matmul",
          [&](auto z) {
            using T = decltype(z);
            cpu::gemm_batched<T>(ta, tb, M, N, K, T(1), A.data<T>(), lda, sa, B.data<T>(), ldb,
                                 sb, T(0), C.data<T>(), N, int64_t(M) * N, batch);
          },
          [&] {
            SS_CUDA(cuda::gemm_batched(ta, tb, M, N, K, 1.f, A.data<float>(), lda, sa,
                                       B.data<float>(), ldb, sb, 0.f, C.data<float>(), N,
                                       int64_t(M) * N, batch));
          });
}

Tensor matmul_impl(const Tensor& a_in, const Tensor& b_in) {
  check_same("matmul", {&a_in, &b_in});
  const bool batched = a_in.dim() == 3;
  SS_CHECK((a_in.dim() == 2 && b_in.dim() == 2) || (a_in.dim() == 3 && b_in.dim() == 3),
           "matmul: expects 2-D x 2-D or 3-D x 3-D, got ", a_in.desc(), " x ", b_in.desc());
  const int64_t B = batched ? a_in.size(0) : 1;
  const int M = int(a_in.size(-2)), K = int(a_in.size(-1)), N = int(b_in.size(-1));
  SS_CHECK(b_in.size(-2) == K && (!batched || b_in.size(0) == B), "matmul: inner dimensions differ: ",
           a_in.desc(), " x ", b_in.desc());
  Tensor a = a_in.contiguous(), b = b_in.contiguous();
  Shape os = batched ? Shape{B, M, N} : Shape{M, N};
  Tensor y = Tensor::empty(os, a.dtype(), a.device());
  gemm_call(false, false, M, N, K, a, int64_t(M) * K, b, int64_t(K) * N, y, int(B));
  Tensor as = a.detach(), bs = b.detach();
  record(y, "matmul", {a_in, b_in}, [as, bs, M, N, K, B](const Tensor& g_in) {
    Tensor g = g_in.contiguous();
    Tensor da = Tensor::empty(as.shape(), as.dtype(), as.device());
    Tensor db = Tensor::empty(bs.shape(), bs.dtype(), bs.device());
    gemm_call(false, true, M, K, N, g, int64_t(M) * N, bs, int64_t(K) * N, da, int(B));  // g b^T
    gemm_call(true, false, K, N, M, as, int64_t(M) * K, g, int64_t(M) * N, db, int(B));  // a^T g
    return std::vector<Tensor>{da, db};
  });
  return y;
}

Tensor linear_impl(const Tensor& x_in, const Tensor& w_in, const Tensor& b) {
  check_dim("linear", w_in, 2, "weight");
  check_dim("linear", x_in, 2, "input");
  check_same("linear", {&x_in, &w_in, &b});
  const int M = int(x_in.size(0)), K = int(x_in.size(1)), O = int(w_in.size(0));
  SS_CHECK(w_in.size(1) == K, "linear: input ", x_in.desc(), " does not match weight ",
           w_in.desc());
  if (b.defined())
    SS_CHECK(b.dim() == 1 && b.size(0) == O, "linear: bias ", b.desc(), " for ", O, " outputs");
  Tensor x = x_in.contiguous(), w = w_in.contiguous();
  Tensor y = Tensor::empty({M, O}, x.dtype(), x.device());
  gemm_call(false, true, M, O, K, x, 0, w, 0, y, 1);  // x w^T
  Tensor xs = x.detach(), ws = w.detach();
  record(y, "linear", {x_in, w_in}, [xs, ws, M, O, K](const Tensor& g_in) {
    Tensor g = g_in.contiguous();
    Tensor dx = Tensor::empty(xs.shape(), xs.dtype(), xs.device());
    Tensor dw = Tensor::empty(ws.shape(), ws.dtype(), ws.device());
    gemm_call(false, false, M, K, O, g, 0, ws, 0, dx, 1);  // g w
    gemm_call(true, false, O, K, M, g, 0, xs, 0, dw, 1);   // g^T x
    return std::vector<Tensor>{dx, dw};
  });
  return b.defined() ? add(y, b) : y;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  if (!autocast_half({&a, &b})) return matmul_impl(a, b);
  Tensor ah = to_f16(a), bh = to_f16(b);
  if (!ah.is_cuda()) return via_f32([&] { return matmul_impl(to_f32(ah), to_f32(bh)); });
  return matmul_impl(ah, bh);
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  if (!autocast_half({&x, &w, &b})) return linear_impl(x, w, b);
  Tensor xh = to_f16(x), wh = to_f16(w), bh = to_f16(b);
  if (!xh.is_cuda()) return via_f32([&] { return linear_impl(to_f32(xh), to_f32(wh), to_f32(bh)); });
  return linear_impl(xh, wh, bh);
}

}  // namespace ss
