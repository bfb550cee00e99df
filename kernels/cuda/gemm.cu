// Row-major GEMM on cuBLAS (column-major) through the transpose identity: a row-major
// M×N matrix with row stride ld is the column-major N×M matrix with leading dimension ld,
// so C = op(A)·op(B) is computed as C^T = op(B)^T·op(A)^T with the operands swapped and
// the op flags kept.
#include <algorithm>

#include "context.h"
#include "ss/kernels/gemm.h"

namespace ss::cuda {
namespace {

cublasOperation_t op(bool t) { return t ? CUBLAS_OP_T : CUBLAS_OP_N; }

// K == 0: cuBLAS would reject the zero leading dimensions such operands usually carry, and
// the answer is just C = beta*C (BLAS convention: beta == 0 writes zeros, ignoring NaNs).
__global__ void scale_matrix_kernel(float* C, int M, int N, int ldc, int64_t stride_c, int batch,
                                    float beta) {
  const int64_t per = int64_t(M) * N, total = per * batch;
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < total;
       k += int64_t(gridDim.x) * blockDim.x) {
    const int64_t b = k / per, r = k % per;
    float* p = C + b * stride_c + (r / N) * ldc + r % N;
    *p = beta == 0.f ? 0.f : beta * *p;
  }
}

void scale_only(int M, int N, float beta, float* C, int ldc, int64_t stride_c, int batch) {
  if (beta == 1.f) return;
  const int64_t total = int64_t(M) * N * batch;
  scale_matrix_kernel<<<grid_for(total), kThreads, 0, stream()>>>(C, M, N, ldc, stride_c, batch,
                                                                   beta);
  CUDA_CHECK_LAUNCH();
}

}  // namespace

void gemm(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A, int lda,
          const float* B, int ldb, float beta, float* C, int ldc) {
  if (M == 0 || N == 0) return;
  if (K == 0) return scale_only(M, N, beta, C, ldc, 0, 1);
  CUBLAS_CHECK(cublasSgemm(cublas(), op(trans_b), op(trans_a), N, M, K, &alpha, B, ldb, A, lda,
                           &beta, C, ldc));
}

void gemm_batched(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float* A,
                  int lda, int64_t stride_a, const float* B, int ldb, int64_t stride_b, float beta,
                  float* C, int ldc, int64_t stride_c, int batch) {
  if (M == 0 || N == 0 || batch == 0) return;
  if (K == 0) return scale_only(M, N, beta, C, ldc, stride_c, batch);
  CUBLAS_CHECK(cublasSgemmStridedBatched(cublas(), op(trans_b), op(trans_a), N, M, K, &alpha, B,
                                         ldb, (long long)stride_b, A, lda, (long long)stride_a,
                                         &beta, C, ldc, (long long)stride_c, batch));
}

void gemm_batched_f16(bool trans_a, bool trans_b, int M, int N, int K, float alpha, const void* A,
                      int lda, int64_t stride_a, const void* B, int ldb, int64_t stride_b,
                      float beta, void* C, int ldc, int64_t stride_c, int batch) {
  if (M == 0 || N == 0 || batch == 0) return;
  SS_CHECK(K > 0, "gemm_batched_f16: K must be positive");
  if (batch == 1) {  // the plain GEMM entry: cuBLAS's split-K choices for long K apply
    CUBLAS_CHECK(cublasGemmEx(cublas(), op(trans_b), op(trans_a), N, M, K, &alpha, B, CUDA_R_16F,
                              ldb, A, CUDA_R_16F, lda, &beta, C, CUDA_R_16F, ldc,
                              CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
    return;
  }
  CUBLAS_CHECK(cublasGemmStridedBatchedEx(
      cublas(), op(trans_b), op(trans_a), N, M, K, &alpha, B, CUDA_R_16F, ldb,
      (long long)stride_b, A, CUDA_R_16F, lda, (long long)stride_a, &beta, C, CUDA_R_16F, ldc,
      (long long)stride_c, batch, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT));
}

}  // namespace ss::cuda
