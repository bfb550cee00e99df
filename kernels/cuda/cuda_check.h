// Error checks for CUDA runtime, cuDNN and cuBLAS calls. The throwing forms raise
// ss::Error with the call text, the library's error name/string and file:line; the
// _PRINT forms only report to stderr, for destructors and teardown paths where throwing
// would terminate the process (tiny-cuda-nn's CHECK_THROW vs CHECK_PRINT split).
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <cstdio>

#include "ss/kernels/error.h"

namespace ss::cuda::detail {

inline const char* cublas_status_name(cublasStatus_t s) { return cublasGetStatusName(s); }

[[noreturn]] inline void throw_cuda(cudaError_t e, const char* call, const char* file, int line) {
  ::ss::detail::fail(file, line, call, "CUDA error ", cudaGetErrorName(e), " (",
                     cudaGetErrorString(e), ") in ", call);
}

[[noreturn]] inline void throw_cudnn(cudnnStatus_t s, const char* call, const char* file,
                                     int line) {
  // cuDNN 9 keeps a per-thread detail message that is often more useful than the status.
  char detail[512] = {0};
#if CUDNN_MAJOR >= 9
  cudnnGetLastErrorString(detail, sizeof(detail));
#endif
  ::ss::detail::fail(file, line, call, "cuDNN error ", cudnnGetErrorString(s), " in ", call,
                     detail[0] ? " — " : "", detail);
}

[[noreturn]] inline void throw_cublas(cublasStatus_t s, const char* call, const char* file,
                                      int line) {
  ::ss::detail::fail(file, line, call, "cuBLAS error ", cublas_status_name(s), " (",
                     cublasGetStatusString(s), ") in ", call);
}

}  // namespace ss::cuda::detail

#define CUDA_CHECK(call)                                                          \
  do {                                                                            \
    const cudaError_t ss_err_ = (call);                                           \
    if (ss_err_ != cudaSuccess)                                                   \
      ::ss::cuda::detail::throw_cuda(ss_err_, #call, __FILE__, __LINE__);         \
  } while (0)

#define CUDNN_CHECK(call)                                                         \
  do {                                                                            \
    const cudnnStatus_t ss_st_ = (call);                                          \
    if (ss_st_ != CUDNN_STATUS_SUCCESS)                                           \
      ::ss::cuda::detail::throw_cudnn(ss_st_, #call, __FILE__, __LINE__);         \
  } while (0)

#define CUBLAS_CHECK(call)                                                        \
  do {                                                                            \
    const cublasStatus_t ss_st_ = (call);                                         \
    if (ss_st_ != CUBLAS_STATUS_SUCCESS)                                          \
      ::ss::cuda::detail::throw_cublas(ss_st_, #call, __FILE__, __LINE__);        \
  } while (0)

// A launch is asynchronous: this catches configuration errors now; faults inside the
// kernel surface at the next synchronising call.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())

// cudaErrorCudartUnloading is expected when static destructors run after the runtime has
// shut down at process exit; it is not worth a message.
#define CUDA_CHECK_PRINT(call)                                                    \
  do {                                                                            \
    const cudaError_t ss_err_ = (call);                                           \
    if (ss_err_ != cudaSuccess && ss_err_ != cudaErrorCudartUnloading)            \
      std::fprintf(stderr, "warning: CUDA error %s (%s) in %s [%s:%d]\n",         \
                   cudaGetErrorName(ss_err_), cudaGetErrorString(ss_err_), #call, \
                   __FILE__, __LINE__);                                           \
  } while (0)

#define CUDNN_CHECK_PRINT(call)                                                   \
  do {                                                                            \
    const cudnnStatus_t ss_st_ = (call);                                          \
    if (ss_st_ != CUDNN_STATUS_SUCCESS)                                           \
      std::fprintf(stderr, "warning: cuDNN error %s in %s [%s:%d]\n",             \
                   cudnnGetErrorString(ss_st_), #call, __FILE__, __LINE__);       \
  } while (0)
