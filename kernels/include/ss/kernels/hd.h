// SS_HD marks small header functions that host and device code share (one formula, so the
// CPU and CUDA backends compute the same bits).
#pragma once

#if defined(__CUDACC__)
#define SS_HD __host__ __device__ __forceinline__
#else
#define SS_HD inline
#endif
