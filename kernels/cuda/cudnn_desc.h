// RAII wrappers of cuDNN descriptors (flashlight style), shared by the convolution and
// batch-norm files; destructors must not throw.
#pragma once
#include "cuda_check.h"

namespace ss::cuda {

template <class D, cudnnStatus_t (*Create)(D*), cudnnStatus_t (*Destroy)(D)>
struct CudnnDesc {
  D d = nullptr;
  CudnnDesc() { CUDNN_CHECK(Create(&d)); }
  ~CudnnDesc() { CUDNN_CHECK_PRINT(Destroy(d)); }
  CudnnDesc(const CudnnDesc&) = delete;
  CudnnDesc& operator=(const CudnnDesc&) = delete;
};
using TensorDesc = CudnnDesc<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor,
                             cudnnDestroyTensorDescriptor>;
using FilterDesc = CudnnDesc<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor,
                             cudnnDestroyFilterDescriptor>;
using ConvDesc = CudnnDesc<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                           cudnnDestroyConvolutionDescriptor>;
using ActivationDesc = CudnnDesc<cudnnActivationDescriptor_t, cudnnCreateActivationDescriptor,
                                 cudnnDestroyActivationDescriptor>;

}  // namespace ss::cuda
