// GEMM on OpenBLAS (row-major CBLAS). Batched GEMM loops over the batch; OpenBLAS
// threads each call, which is the efficient split for the large matrices we see.
#include "ss/kernels/gemm.h"

#include <cblas.h>

#include "instantiate.h"

namespace ss::cpu {
namespace {
inline CBLAS_TRANSPOSE tr(bool t) { return t ? CblasTrans : CblasNoTrans; }
inline void blas_gemm(bool ta, bool tb, int M, int N, int K, float alpha, const float* A, int lda,
                      const float* B, int ldb, float beta, float* C, int ldc) {
  cblas_sgemm(CblasRowMajor, tr(ta), tr(tb), M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
inline void blas_gemm(bool ta, bool tb, int M, int N, int K, double alpha, const double* A,
                      int lda, const double* B, int ldb, double beta, double* C, int ldc) {
  cblas_dgemm(CblasRowMajor, tr(ta), tr(tb), M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
}  // namespace

template <class T>
void gemm(bool ta, bool tb, int M, int N, int K, T alpha, const T* A, int lda, const T* B,
          int ldb, T beta, T* C, int ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) {
    for (int i = 0; i < M; ++i)
      for (int j = 0; j < N; ++j) C[int64_t(i) * ldc + j] *= beta;
    return;
  }
  blas_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

template <class T>
void gemm_batched(bool ta, bool tb, int M, int N, int K, T alpha, const T* A, int lda,
                  int64_t sa, const T* B, int ldb, int64_t sb, T beta, T* C, int ldc, int64_t sc,
                  int batch) {
  for (int b = 0; b < batch; ++b)
    gemm(ta, tb, M, N, K, alpha, A + b * sa, lda, B + b * sb, ldb, beta, C + b * sc, ldc);
}

#define INST(T)                                                                               \
  template void gemm<T>(bool, bool, int, int, int, T, const T*, int, const T*, int, T, T*,   \
                        int);                                                                 \
  template void gemm_batched<T>(bool, bool, int, int, int, T, const T*, int, int64_t,        \
                                const T*, int, int64_t, T, T*, int, int64_t, int);
SS_INSTANTIATE_FLOATS(INST)
}  // namespace ss::cpu
