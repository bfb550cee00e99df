// Device-side building blocks shared by the hand-written kernels: deterministic warp and
// block sums, and two-pass reductions whose partials live in the context workspace.
//
// Determinism: no floating-point atomics anywhere. Every partial covers a fixed index set
// (a function of the sizes only, never of the GPU), and partials are combined in a fixed
// order, so a run reproduces its own bits. Sums accumulate in double, like the CPU
// reference, so CPU and GPU differ only by summation order at double precision.
#pragma once
#include <cuda_fp16.h>

#include <cstdint>
#include <initializer_list>
#include <type_traits>

#include "context.h"
#include "ss/kernels/rows8_layout.h"
#include "ss/kernels/switches.h"

namespace ss::cuda::dev {

// Loads/stores of f32 or f16 storage with f32 arithmetic (one rounding on an f16 store).
__device__ __forceinline__ float ld(const float* p, int64_t i) { return p[i]; }
__device__ __forceinline__ float ld(const __half* p, int64_t i) { return __half2float(p[i]); }
__device__ __forceinline__ void st(float* p, int64_t i, float v) { p[i] = v; }
__device__ __forceinline__ void st(__half* p, int64_t i, float v) { p[i] = __float2half_rn(v); }

constexpr unsigned kFull = 0xffffffffu;

// Butterfly (xor) shuffles: every lane ends with the same total, in a fixed order.
__device__ __forceinline__ double warp_sum(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(kFull, v, o);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(kFull, v, o));
  return v;
}

// Sums NA accumulators over the block; the result is valid in warp 0 (thread 0 writes it).
// blockDim.x must be a multiple of 32. Safe to call repeatedly in one kernel.
template <int NA>
__device__ __forceinline__ void block_sum(double (&v)[NA]) {
  __shared__ double sh[NA][32];
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5, nw = blockDim.x >> 5;
#pragma unroll
  for (int a = 0; a < NA; ++a) v[a] = warp_sum(v[a]);
  if (lane == 0) {
#pragma unroll
    for (int a = 0; a < NA; ++a) sh[a][wid] = v[a];
  }
  __syncthreads();
  if (wid == 0) {
#pragma unroll
    for (int a = 0; a < NA; ++a) v[a] = warp_sum(lane < nw ? sh[a][lane] : 0.0);
  }
  __syncthreads();
}

// ---- elementwise launch: f(i) for i in [0, n) -------------------------------------------
// F: struct with `__device__ void operator()(int64_t i) const` (structs, not lambdas, so no
// --extended-lambda flag is needed).

template <class F>
__global__ void each_kernel(F f, int64_t n) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) f(i);
}

template <class F>
void launch_each(F f, int64_t n) {
  if (n <= 0) return;
  each_kernel<<<grid_for(n), kThreads, 0, stream()>>>(f, n);
  CUDA_CHECK_LAUNCH();
}

// ---- 8-wide elementwise: f(k) for k = 0, 8, 16, ... < n --------------------------------
// A thread per 8 consecutive elements, read and written with 16-byte accesses (f16: one
// uint4; f32: two float4). One 2-byte access per thread leaves too few bytes in flight to
// cover DRAM latency: such kernels ran at ~1.3 TB/s on an H100 (of ~3). The caller checks
// vec8_ok (n a multiple of 8, every pointer 16-byte aligned) and otherwise falls back to
// the per-element functor. Values are converted exactly as ld/st do.
template <class F>
struct Each8 {
  F f;
  __device__ void operator()(int64_t i) const { f(i * 8); }
};
template <class F>
void launch_each8(F f, int64_t n) {
  launch_each(Each8<F>{f}, n / 8);
}
inline bool aligned16(std::initializer_list<const void*> ptrs) {  // null counts as aligned
  for (const void* p : ptrs)
    if (reinterpret_cast<uintptr_t>(p) % 16 != 0) return false;
  return true;
}
inline bool vec8_ok(int64_t n, std::initializer_list<const void*> ptrs) {
  return n % 8 == 0 && aligned16(ptrs);
}
// f8 (a thread per 8 elements) where vec8_ok allows, else f (a thread per element).
template <class F, class F8>
void launch_each_or8(F f, F8 f8, int64_t n, std::initializer_list<const void*> ptrs) {
  if (vec8_ok(n, ptrs))
    launch_each8(f8, n);
  else
    launch_each(f, n);
}
__device__ __forceinline__ void ld8(const __half* p, int64_t k, float (&o)[8]) {
  const uint4 u = *reinterpret_cast<const uint4*>(p + k);
  const __half2* h = reinterpret_cast<const __half2*>(&u);
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const float2 f = __half22float2(h[i]);
    o[2 * i] = f.x;
    o[2 * i + 1] = f.y;
  }
}
__device__ __forceinline__ void ld8(const float* p, int64_t k, float (&o)[8]) {
  const float4 a = *reinterpret_cast<const float4*>(p + k);
  const float4 b = *reinterpret_cast<const float4*>(p + k + 4);
  o[0] = a.x, o[1] = a.y, o[2] = a.z, o[3] = a.w, o[4] = b.x, o[5] = b.y, o[6] = b.z, o[7] = b.w;
}
__device__ __forceinline__ void st8(__half* p, int64_t k, const float (&v)[8]) {
  uint4 u;
  __half2* h = reinterpret_cast<__half2*>(&u);
#pragma unroll
  for (int i = 0; i < 4; ++i) h[i] = __floats2half2_rn(v[2 * i], v[2 * i + 1]);
  *reinterpret_cast<uint4*>(p + k) = u;
}
__device__ __forceinline__ void st8(float* p, int64_t k, const float (&v)[8]) {
  *reinterpret_cast<float4*>(p + k) = make_float4(v[0], v[1], v[2], v[3]);
  *reinterpret_cast<float4*>(p + k + 4) = make_float4(v[4], v[5], v[6], v[7]);
}

// ---- whole-array reduction: out[a] = float(sum_i f_a(i)), a < NA -----------------------
// F: struct with `__device__ void operator()(int64_t i, double* acc) const` adding into acc.

template <int NA, class F>
__global__ void reduce_partials_kernel(F f, int64_t n, double* partials) {
  double v[NA];
#pragma unroll
  for (int a = 0; a < NA; ++a) v[a] = 0.0;
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) f(i, v);
  block_sum<NA>(v);
  if (threadIdx.x == 0) {
#pragma unroll
    for (int a = 0; a < NA; ++a) partials[a * gridDim.x + blockIdx.x] = v[a];
  }
}

// Launched with 1024 threads: the bound keeps the compiler under 64 registers per thread,
// without which the launch could fail with "too many resources requested".
template <int NA>
__global__ void __launch_bounds__(1024) reduce_final_kernel(const double* partials, int G,
                                                            float* out) {
  double v[NA];
#pragma unroll
  for (int a = 0; a < NA; ++a) {
    v[a] = 0.0;
    for (int i = threadIdx.x; i < G; i += blockDim.x) v[a] += partials[a * G + i];
  }
  block_sum<NA>(v);
  if (threadIdx.x == 0) {
#pragma unroll
    for (int a = 0; a < NA; ++a) out[a] = float(v[a]);
  }
}

// out is device memory; n == 0 writes zeros.
template <int NA, class F>
void reduce_to(F f, int64_t n, float* out) {
  const int64_t per_block = int64_t(kThreads) * 8;
  const int G = int(std::max<int64_t>(1, std::min<int64_t>(1024, (n + per_block - 1) / per_block)));
  auto* part = static_cast<double*>(workspace(sizeof(double) * NA * G));
  cudaStream_t s = stream();
  reduce_partials_kernel<NA><<<G, kThreads, 0, s>>>(f, n, part);
  CUDA_CHECK_LAUNCH();
  reduce_final_kernel<NA><<<1, 1024, 0, s>>>(part, G, out);
  CUDA_CHECK_LAUNCH();
}

// ---- per-channel reduction over an [N, C, inner] tensor ---------------------------------
// Block (c, s) sums f over channel c's slice s of its N*inner elements into
// partials[(a*C + c)*S + s]. F: `__device__ void operator()(int c, int64_t idx, double* acc)`
// with idx the flat tensor index.

constexpr int kRowTile = 32, kRowLanes = 8;  // rows_partials_kernel block: 32 x 8 threads

struct ChannelSplit {
  int64_t N = 0, inner = 0, M = 0;  // M = N*inner elements per channel
  int C = 0, S = 1;                 // S slices per channel
  int64_t chunk = 0;                // elements per slice
  bool rows8 = false;               // slices sized for rows8_partials_kernel
};

// SS_BN_REDUCE=rows8 (opt-in until it has run on a GPU): batch norm's per-channel sums over
// channels-last data by rows8_partials_kernel (see there).
inline bool rows8_reduce_on() {
  static const bool on = perf_switch("SS_BN_REDUCE");
  return on;
}

// rows8: the caller's functor has a rows8 form (F::Lane8, see rows8_partials_kernel) and
// wants it where the layout allows; the slices are then sized for it (the partials the caller allocates hold
// NA*C*S doubles either way, and rows_partials_kernel is correct for any S).
inline ChannelSplit channel_split(int64_t N, int C, int64_t inner, bool rows8 = false) {
  ChannelSplit sp;
  sp.N = N;
  sp.C = C;
  sp.inner = inner;
  sp.M = N * inner;
  if (inner == 1 && rows8 && sp.M > 0 && ss::rows8::eligible(C, kThreads)) {
    sp.rows8 = true;
    sp.S = int(ss::rows8::reduce_slices(sp.M, C, kThreads, 4 * int64_t(sm_count())));
    sp.chunk = ss::rows8::chunk_rows(sp.M, sp.S);
    return sp;
  }
  if (inner == 1) {  // [rows, C] (NHWC, Linear): blocks of kRowTile channels x chunk rows
    const int64_t tiles = (C + kRowTile - 1) / kRowTile;
    const int64_t by_size = (sp.M + 255) / 256;
    const int64_t by_grid = std::max<int64_t>(1, 2048 / std::max<int64_t>(tiles, 1));
    sp.S = int(std::max<int64_t>(1, std::min(by_size, by_grid)));
    sp.chunk = (sp.M + sp.S - 1) / sp.S;
    return sp;
  }
  // Aim for ~2k blocks in total and >= 4k elements per block.
  const int64_t by_size = (sp.M + 4095) / 4096;
  const int64_t by_grid = std::max<int64_t>(1, 2048 / std::max(C, 1));
  sp.S = int(std::max<int64_t>(1, std::min(by_size, by_grid)));
  sp.chunk = (sp.M + sp.S - 1) / sp.S;
  return sp;
}

// inner == 1: a channel's values are C apart, so one-channel-per-block reads would touch a
// sector per element. Here a warp spans kRowTile adjacent channels of one row (coalesced)
// and kRowLanes warps take interleaved rows; the lanes are then summed in a fixed order.
template <int NA, class F>
__global__ void rows_partials_kernel(F f, ChannelSplit sp, double* partials) {
  const int c = blockIdx.x * kRowTile + threadIdx.x, s = blockIdx.y;
  const int64_t begin = int64_t(s) * sp.chunk;
  const int64_t end = std::min(sp.M, begin + sp.chunk);
  double v[NA];
#pragma unroll
  for (int a = 0; a < NA; ++a) v[a] = 0.0;
  if (c < sp.C)
    for (int64_t r = begin + threadIdx.y; r < end; r += kRowLanes) f(c, r * sp.C + c, v);
  __shared__ double sh[NA][kRowLanes][kRowTile];
#pragma unroll
  for (int a = 0; a < NA; ++a) sh[a][threadIdx.y][threadIdx.x] = v[a];
  __syncthreads();
  if (threadIdx.y == 0 && c < sp.C) {
#pragma unroll
    for (int a = 0; a < NA; ++a) {
      double t = 0.0;
      for (int l = 0; l < kRowLanes; ++l) t += sh[a][l][threadIdx.x];
      partials[(int64_t(a) * sp.C + c) * sp.S + s] = t;
    }
  }
}

// The rows8 form over [rows, C] data: block s sums slice s; a thread per (8-channel group,
// lane) walks the slice's rows lane, lane + L, ... (rows8::reduce_walk) with 16-byte loads,
// its group's per-channel constants in registers (F::Lane8) and 8 x NA sums; the L lanes
// are then added in a fixed order. rows_partials_kernel's warps read 2-4 bytes per thread
// per row: in the H100 profiles its batch-norm sums ran at ~0.6 TB/s (ResNet50 @128 b96:
// 5.7 ms of a 36 ms step). F: type Lane8, lane8(c0), add8(lane, e, acc[NA][8]) with e the
// flat index of (row, c0), and host vec8_ok(total) for its arrays' alignment.
template <int NA, class F>
__global__ void __launch_bounds__(kThreads)
    rows8_partials_kernel(F f, ChannelSplit sp, double* partials) {
  const ss::rows8::Walk w =
      ss::rows8::reduce_walk(blockIdx.x, sp.chunk, sp.M, threadIdx.x, kThreads, sp.C);
  const typename F::Lane8 lane = f.lane8(w.c0);
  double v[NA][8];
#pragma unroll
  for (int a = 0; a < NA; ++a)
#pragma unroll
    for (int l = 0; l < 8; ++l) v[a][l] = 0.0;
#pragma unroll 2
  for (int64_t r = w.first_row; r < w.end_row; r += w.row_step) f.add8(lane, r * sp.C + w.c0, v);
  __shared__ double sh[8][kThreads];
  const int G = sp.C / 8;
#pragma unroll
  for (int a = 0; a < NA; ++a) {
#pragma unroll
    for (int l = 0; l < 8; ++l) sh[l][threadIdx.x] = v[a][l];
    __syncthreads();
    if (int(threadIdx.x) < G) {  // lane 0 of group threadIdx.x
#pragma unroll
      for (int l = 0; l < 8; ++l) {
        double t = 0.0;
        for (int j = threadIdx.x; j < kThreads; j += G) t += sh[l][j];
        partials[(int64_t(a) * sp.C + w.c0 + l) * sp.S + blockIdx.x] = t;
      }
    }
    __syncthreads();
  }
}
// A rows8 thread's eight per-channel values p[c0 .. c0+7], loaded once into registers.
template <class T>
struct Lane8Of {
  T v[8];
};
template <class T>
__device__ __forceinline__ Lane8Of<T> lane8_of(const T* p, int c0) {
  Lane8Of<T> m;
#pragma unroll
  for (int l = 0; l < 8; ++l) m.v[l] = p[c0 + l];
  return m;
}
template <class F, class = void>
struct has_rows8 : std::false_type {};
template <class F>
struct has_rows8<F, std::void_t<typename F::Lane8>> : std::true_type {};

template <int NA, class F>
__global__ void channel_partials_kernel(F f, ChannelSplit sp, double* partials) {
  const int c = blockIdx.x, s = blockIdx.y;
  const int64_t begin = int64_t(s) * sp.chunk;
  const int64_t end = std::min(sp.M, begin + sp.chunk);
  double v[NA];
#pragma unroll
  for (int a = 0; a < NA; ++a) v[a] = 0.0;
  // Walk j -> (n, i) incrementally: one division per thread instead of one per element.
  const int64_t in = std::max<int64_t>(sp.inner, 1);  // inner == 0 means M == 0: no work
  const int64_t step_n = blockDim.x / in, step_i = blockDim.x % in;
  int64_t j = begin + threadIdx.x;
  int64_t n = j / in, i = j - n * in;
  for (; j < end; j += blockDim.x) {
    f(c, (n * sp.C + c) * sp.inner + i, v);
    n += step_n;
    i += step_i;
    if (i >= sp.inner) {
      i -= sp.inner;
      ++n;
    }
  }
  block_sum<NA>(v);
  if (threadIdx.x == 0) {
#pragma unroll
    for (int a = 0; a < NA; ++a) partials[(int64_t(a) * sp.C + c) * sp.S + s] = v[a];
  }
}

// Block per channel: the block's threads take interleaved slices and block_sum combines
// them (a fixed order for a given S), then thread 0 calls g(c, tot), which writes the
// per-channel result. A thread per channel summing its S partials serially took 50-130 us
// per call on an H100 (S up to 1024, one partial per 8 KiB stride); this takes a few.
// G: `__device__ void operator()(int c, const double* tot) const`.
constexpr int kFinalizeThreads = 128;
template <int NA, class G>
__global__ void __launch_bounds__(kFinalizeThreads)
    channel_finalize_kernel(G g, const double* partials, int C, int S) {
  const int c = blockIdx.x;
  double tot[NA];
#pragma unroll
  for (int a = 0; a < NA; ++a) {
    tot[a] = 0.0;
    const double* p = partials + (int64_t(a) * C + c) * S;
    for (int s = threadIdx.x; s < S; s += blockDim.x) tot[a] += p[s];
  }
  block_sum<NA>(tot);
  if (threadIdx.x == 0) g(c, tot);
}

// The partials pass: rows8 where the split and the functor allow, else by layout.
template <int NA, class F>
void launch_partials(const ChannelSplit& sp, const F& f, double* partials, cudaStream_t s) {
  if constexpr (has_rows8<F>::value) {
    if (sp.rows8 && f.vec8_ok(sp.M * sp.C)) {
      rows8_partials_kernel<NA><<<unsigned(sp.S), kThreads, 0, s>>>(f, sp, partials);
      return;
    }
  }
  if (sp.inner == 1) {
    const unsigned tiles = unsigned((sp.C + kRowTile - 1) / kRowTile);
    rows_partials_kernel<NA><<<dim3(tiles, unsigned(sp.S)), dim3(kRowTile, kRowLanes), 0, s>>>(
        f, sp, partials);
  } else {
    channel_partials_kernel<NA><<<dim3(unsigned(sp.C), unsigned(sp.S)), kThreads, 0, s>>>(
        f, sp, partials);
  }
}

// partials must hold NA*C*S doubles (carved from the workspace by the caller, because
// callers often need more scratch alongside it).
template <int NA, class F, class G>
void channel_reduce(const ChannelSplit& sp, F f, G g, double* partials) {
  if (sp.C == 0) return;
  cudaStream_t s = stream();
  launch_partials<NA>(sp, f, partials, s);
  CUDA_CHECK_LAUNCH();
  channel_finalize_kernel<NA><<<unsigned(sp.C), kFinalizeThreads, 0, s>>>(g, partials, sp.C, sp.S);
  CUDA_CHECK_LAUNCH();
}

// Channel of flat index k in an [N, C, inner] tensor. 32-bit division when it fits is
// several times cheaper than the emulated 64-bit one.
__device__ __forceinline__ int channel_of(int64_t k, int64_t inner, int C, bool small) {
  if (small) return int((uint32_t(k) / uint32_t(inner)) % uint32_t(C));
  return int((k / inner) % C);
}

}  // namespace ss::cuda::dev
