// Row-major GEMM: C = alpha * op(A) * op(B) + beta * C, op(X) = X or X^T.
// A is M×K after op, B is K×N after op, C is M×N; ld* are row strides.
#pragma once
#include <cstdint>

namespace ss::cpu {
template <class T>
void gemm(bool trans_a, bool trans_b, int M, int N, int K, T alpha, const T* A, int lda,
          const T* B, int ldb, T beta, T* C, int ldc);
// Batched with constant strides between matrices (used by attention-like scores).
template <class T>
void gemm_batched(bool trans_a, bool trans_b, int M, int N, int K, T alpha, const T* A, int lda,
                  int64_t stride_a, const T* B, int ldb, int64_t stride_b, T beta, T* C, int ldc,
                  int64_t stride_c, int batch);
}  // namespace ss::cpu

namespace ss::cuda {
void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc);
void gemm_batched(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
                  int lda, int64_t stride_a, const float* B, int ldb, int64_t stride_b, float beta,
                  float* C, int ldc, int64_t stride_c, int batch);
// binary16 A, B and C (pointers to IEEE half data), f32 accumulation (tensor cores).
void gemm_batched_f16(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const void* A,
                      int lda, int64_t stride_a, const void* B, int ldb, int64_t stride_b,
                      float beta, void* C, int ldc, int64_t stride_c, int batch);
}  // namespace ss::cuda
