// Elementwise arithmetic, channel bias, strided copies, rot90 and fp16/bf16 casts.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "device_util.cuh"
#include "ss/kernels/elementwise.h"
#include "ss/kernels/reduce.h"
#include "ss/kernels/strided_plan.h"
#include "ss/kernels/switches.h"

namespace ss::cuda {
namespace {

constexpr int64_t k32 = int64_t(1) << 32;

struct Fill {
  float* y;
  float v;
  __device__ void operator()(int64_t i) const { y[i] = v; }
};
struct Add {
  const float *a, *b;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] = a[i] + b[i]; }
};
struct Sub {
  const float *a, *b;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] = a[i] - b[i]; }
};
struct Mul {
  const float *a, *b;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] = a[i] * b[i]; }
};
struct Scale {
  const float* x;
  float s;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] = s * x[i]; }
};
// Unfused like the CPU's `y += a*x`, so both round twice.
struct Axpy {
  float a;
  const float* x;
  float* y;
  __device__ void operator()(int64_t i) const { y[i] = __fadd_rn(y[i], __fmul_rn(a, x[i])); }
};
struct BiasAdd {
  float* y;
  const float* bias;
  int64_t inner;
  int C;
  bool small;
  __device__ void operator()(int64_t k) const { y[k] += bias[dev::channel_of(k, inner, C, small)]; }
};
struct BiasGradFinal {
  float* db;
  __device__ void operator()(int c, const double* tot) const { db[c] = float(tot[0]); }
};
struct Load {
  const float* x;
  __device__ void operator()(int c, int64_t k, double* acc) const { acc[0] += x[k]; }
};

// ---- strided copy ----------------------------------------------------------------------

// Drop size-1 dims and merge neighbours that are contiguous in both src and dst, so most
// permute/slice/concat copies become 1–3 dims and the per-element index math shrinks.
// A batched transpose of small slabs (ss::plan_slab_transpose): block b copies slab b
// into shared memory with coalesced reads, then writes its transpose with coalesced
// writes. The generic kernel below reads the NHWC side one element per 32-byte sector: on
// an H100 ResNet9's filter-gradient conversions (KRSC -> KCRS, 9 per step) took 0.21 ms,
// ~20x their DRAM time.
constexpr int kSlabBytes = 48 * 1024;  // dynamic shared memory without an opt-in
template <class U>
__global__ void slab_transpose_kernel(const U* __restrict__ src, U* __restrict__ dst, int rows,
                                      int cols, int ld) {
  extern __shared__ uint4 slab_raw[];  // one declaration for every U
  U* slab = reinterpret_cast<U*>(slab_raw);
  const int n = rows * cols;
  const int64_t base = int64_t(blockIdx.x) * n;
  for (int i = threadIdx.x; i < n; i += blockDim.x)
    slab[slab_store_index(i, cols, ld)] = src[base + i];
  __syncthreads();
  for (int j = threadIdx.x; j < n; j += blockDim.x)
    dst[base + j] = slab[slab_load_index(j, rows, ld)];
}

// Runs c through slab_transpose_kernel when it is such a transpose; false otherwise.
// Opt-in (SS_COPY_SLAB=1) until it has run on a GPU: every convolution's filter passes
// through here, so a fault would spoil every number of a GPU check.
template <class U>
bool try_slab_transpose(const StridedCopy& c, const void* src, void* dst) {
  static const bool on = perf_switch("SS_COPY_SLAB");
  SlabTranspose t;
  if (!on || !plan_slab_transpose(c, kSlabBytes / int64_t(sizeof(U)), &t) || t.batch > INT32_MAX)
    return false;
  const int ld = int(t.cols) + slab_pad(int(sizeof(U)));
  const size_t bytes = size_t(t.rows) * ld * sizeof(U);
  if (bytes > size_t(kSlabBytes)) return false;
  slab_transpose_kernel<U><<<unsigned(t.batch), kThreads, bytes, stream()>>>(
      static_cast<const U*>(src), static_cast<U*>(dst), int(t.rows), int(t.cols), ld);
  CUDA_CHECK_LAUNCH();
  return true;
}

template <class U, class I>  // I: index type for the decomposition (uint32_t when it fits)
__global__ void copy_strided_kernel(StridedCopy d, const U* __restrict__ src, U* __restrict__ dst,
                                    int64_t total) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t k = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; k < total; k += step) {
    I rem = I(k);
    int64_t so = 0, doff = 0;
#pragma unroll
    for (int i = kMaxDims - 1; i >= 0; --i) {
      if (i >= d.ndim) continue;
      const I n = I(d.shape[i]);
      const I q = rem / n, idx = rem - q * n;
      rem = q;
      so += int64_t(idx) * d.src_stride[i];
      doff += int64_t(idx) * d.dst_stride[i];
    }
    dst[doff] = src[so];
  }
}

template <class U>
void copy_strided_t(const StridedCopy& d, const void* src, void* dst, int64_t total) {
  if (try_slab_transpose<U>(d, src, dst)) return;
  const auto* s = static_cast<const U*>(src);
  auto* t = static_cast<U*>(dst);
  if (total < k32)
    copy_strided_kernel<U, uint32_t><<<grid_for(total), kThreads, 0, stream()>>>(d, s, t, total);
  else
    copy_strided_kernel<U, uint64_t><<<grid_for(total), kThreads, 0, stream()>>>(d, s, t, total);
  CUDA_CHECK_LAUNCH();
}

// ---- rot90 (torch.rot90 on dims (2,3)) -------------------------------------------------
struct Rot90 {
  const float* x;
  float* y;
  int H, W, k;  // k in 1..3
  __device__ void operator()(int64_t e) const {
    const int64_t plane = int64_t(H) * W;
    const int64_t p = e / plane;
    const int r = int(e - p * plane);
    const int Wo = (k == 2) ? W : H;  // output is W×H for odd k
    const int a = r / Wo, b = r - a * Wo;
    int sh, sw;
    if (k == 1) {
      sh = b;
      sw = W - 1 - a;
    } else if (k == 2) {
      sh = H - 1 - a;
      sw = W - 1 - b;
    } else {
      sh = H - 1 - b;
      sw = a;
    }
    y[e] = x[p * plane + int64_t(sh) * W + sw];
  }
};

// ---- casts -----------------------------------------------------------------------------
// Finite values and infinities go through the RNE intrinsics; NaNs get the CPU reference's
// exact bit patterns (the intrinsics canonicalise NaN payloads differently).
struct F32toF16 {
  const float* s;
  uint16_t* d;
  __device__ void operator()(int64_t i) const {
    const float f = s[i];
    if (isnan(f)) {
      d[i] = uint16_t(((__float_as_uint(f) >> 16) & 0x8000u) | 0x7e00u);
      return;
    }
    d[i] = __half_as_ushort(__float2half_rn(f));
  }
};
struct F16toF32 {
  const uint16_t* s;
  float* d;
  __device__ void operator()(int64_t i) const {
    const uint16_t h = s[i];
    if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu)) {
      d[i] = __uint_as_float((uint32_t(h & 0x8000u) << 16) | 0x7f800000u |
                             (uint32_t(h & 0x3ffu) << 13));
      return;
    }
    d[i] = __half2float(__ushort_as_half(h));
  }
};
struct F32toBF16 {
  const float* s;
  uint16_t* d;
  __device__ void operator()(int64_t i) const {
    const float f = s[i];
    if (isnan(f)) {
      d[i] = uint16_t((__float_as_uint(f) >> 16) | 0x40u);
      return;
    }
    d[i] = __bfloat16_as_ushort(__float2bfloat16_rn(f));
  }
};
struct BF16toF32 {
  const uint16_t* s;
  float* d;
  __device__ void operator()(int64_t i) const { d[i] = __uint_as_float(uint32_t(s[i]) << 16); }
};

}  // namespace

void fill(float* y, int64_t n, float value) { dev::launch_each(Fill{y, value}, n); }
void add(const float* a, const float* b, float* y, int64_t n) { dev::launch_each(Add{a, b, y}, n); }
void sub(const float* a, const float* b, float* y, int64_t n) { dev::launch_each(Sub{a, b, y}, n); }
void mul(const float* a, const float* b, float* y, int64_t n) { dev::launch_each(Mul{a, b, y}, n); }
void scale(const float* x, float s, float* y, int64_t n) { dev::launch_each(Scale{x, s, y}, n); }
void axpy(float a, const float* x, float* y, int64_t n) { dev::launch_each(Axpy{a, x, y}, n); }

void bias_add(float* y, const float* bias, int64_t N, int C, int64_t inner) {
  const int64_t total = N * C * inner;
  dev::launch_each(BiasAdd{y, bias, inner, C, total < k32}, total);
}

void bias_grad(const float* dy, int64_t N, int C, int64_t inner, float* db) {
  if (C <= 0) return;
  // [N, C] (Linear): a column sum, which sum_axis does with coalesced reads.
  if (inner == 1) return sum_axis(dy, 1, N, C, db);
  const dev::ChannelSplit sp = dev::channel_split(N, C, inner);
  auto* part = static_cast<double*>(workspace(sizeof(double) * size_t(C) * sp.S));
  dev::channel_reduce<1>(sp, Load{dy}, BiasGradFinal{db}, part);
}

void copy_strided(const StridedCopy& d, const void* src, void* dst, int elem_size) {
  SS_CHECK(d.ndim >= 0 && d.ndim <= kMaxDims, "copy_strided: ndim ", d.ndim, " exceeds ",
           kMaxDims);
  int64_t total = 1;
  for (int i = 0; i < d.ndim; ++i) total *= d.shape[i];
  if (total <= 0) return;
  const StridedCopy c = coalesce(d);
  if (c.ndim == 0 || (c.ndim == 1 && c.src_stride[0] == 1 && c.dst_stride[0] == 1))
    return memcpy_d2d(dst, src, size_t(total) * size_t(elem_size));
  switch (elem_size) {
    case 1: return copy_strided_t<uint8_t>(c, src, dst, total);
    case 2: return copy_strided_t<uint16_t>(c, src, dst, total);
    case 4: return copy_strided_t<uint32_t>(c, src, dst, total);
    case 8: return copy_strided_t<unsigned long long>(c, src, dst, total);
    default: SS_FAIL("copy_strided: unsupported element size ", elem_size);
  }
}

void rot90(const float* x, int64_t NC, int H, int W, int k, float* y) {
  k = ((k % 4) + 4) % 4;
  const int64_t total = NC * H * W;
  if (total <= 0) return;
  if (k == 0) return memcpy_d2d(y, x, size_t(total) * sizeof(float));
  dev::launch_each(Rot90{x, y, H, W, k}, total);
}

void cast(CastKind kind, const void* src, void* dst, int64_t n) {
  switch (kind) {
    case CastKind::F32toF16:
      return dev::launch_each(
          F32toF16{static_cast<const float*>(src), static_cast<uint16_t*>(dst)}, n);
    case CastKind::F16toF32:
      return dev::launch_each(
          F16toF32{static_cast<const uint16_t*>(src), static_cast<float*>(dst)}, n);
    case CastKind::F32toBF16:
      return dev::launch_each(
          F32toBF16{static_cast<const float*>(src), static_cast<uint16_t*>(dst)}, n);
    case CastKind::BF16toF32:
      return dev::launch_each(
          BF16toF32{static_cast<const uint16_t*>(src), static_cast<float*>(dst)}, n);
  }
  SS_FAIL("cast: unknown CastKind ", int(kind));
}

}  // namespace ss::cuda
