// CUDA augmentation: the same per-pixel rules as the CPU path (augment_core.h), applied
// with parameters drawn on the host, so CPU and GPU results are bit-identical.
#include <cuda_runtime.h>

#include <algorithm>

#include "ss/data/augment_core.h"
#include "ss/data/gpu.h"
#include "ss/kernels/error.h"

namespace ss::cuda {
cudaStream_t stream();  // the engine's stream (kernels/cuda/runtime.cu)
}

namespace ss::data::gpu {

namespace {

constexpr int kThreads = 256;
unsigned grid_for(int64_t n) {
  return unsigned(std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, 8192)));
}

void check_launch(const char* what) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) SS_FAIL("CUDA error ", cudaGetErrorName(e), " (", cudaGetErrorString(e), ") launching ", what);
}

__global__ void augment_images_kernel(const AugParams* params, int64_t n, int res, const float* in, float* out) {
  const int64_t plane = int64_t(res) * res, per = 3 * plane, total = n * per;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t s = i / per, r = i - s * per;
    const int c = int(r / plane);
    const int64_t q = r - c * plane;
    const int y = int(q / res), x = int(q - int64_t(y) * res);
    out[i] = aug_image_value(params[s], res, in + s * per, c, y, x);
  }
}

__global__ void augment_dense_kernel(const AugParams* params, int64_t n, int res, const uint8_t* in, uint8_t* out) {
  const int64_t plane = int64_t(res) * res, per = 3 * plane, total = n * per;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t s = i / per, r = i - s * per;
    const int c = int(r / plane);
    const int64_t q = r - c * plane;
    const int y = int(q / res), x = int(q - int64_t(y) * res);
    out[i] = aug_dense_value(params[s], res, in + s * per, c, y, x);
  }
}

__global__ void decode_dense_kernel(const AugParams* params, int64_t n, int res, const uint8_t* in, int out_size,
                                    int64_t* seg, int64_t* inst, float* depth, float* mask) {
  const int64_t per = 3 * int64_t(res) * res, po = int64_t(out_size) * out_size, total = n * po;
  const AugParams id{};
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t s = i / po, q = i - s * po;
    const int y = int(q / out_size), x = int(q - int64_t(y) * out_size);
    int64_t sg, it;
    float d, m;
    dense_decode(params ? params[s] : id, res, in + s * per, out_size, y, x, &sg, &it, &d, &m);
    if (seg) seg[i] = sg;
    if (inst) inst[i] = it;
    if (depth) depth[i] = d;
    if (mask) mask[i] = m;
  }
}

}  // namespace

void augment_images(const AugParams* params, int64_t n, int res, const float* in, float* out) {
  const int64_t total = n * 3 * int64_t(res) * res;
  if (total == 0) return;
  augment_images_kernel<<<grid_for(total), kThreads, 0, ss::cuda::stream()>>>(params, n, res, in, out);
  check_launch("augment_images_kernel");
}

void augment_dense(const AugParams* params, int64_t n, int res, const uint8_t* in, uint8_t* out) {
  const int64_t total = n * 3 * int64_t(res) * res;
  if (total == 0) return;
  augment_dense_kernel<<<grid_for(total), kThreads, 0, ss::cuda::stream()>>>(params, n, res, in, out);
  check_launch("augment_dense_kernel");
}

void decode_dense(const AugParams* params, int64_t n, int res, const uint8_t* in, int out_size, int64_t* seg,
                  int64_t* inst, float* depth, float* mask) {
  const int64_t total = n * int64_t(out_size) * out_size;
  if (total == 0) return;
  decode_dense_kernel<<<grid_for(total), kThreads, 0, ss::cuda::stream()>>>(params, n, res, in, out_size, seg, inst,
                                                                           depth, mask);
  check_launch("decode_dense_kernel");
}

}  // namespace ss::data::gpu
