// Row gather and its deterministic adjoint, for index_select (the CMC memory bank gathers
// B*(K+1) rows per step). Rows are D contiguous elements; indices are already validated.
#pragma once
#include <cstdint>

namespace ss::cpu {
// dst[i, :] = src[idx[i], :] for i < n (any element type: copies elem_size-byte words).
void gather_rows(const void* src, int64_t D, const int64_t* idx, int64_t n, void* dst,
                 int elem_size);
// dx[idx[i], :] += g[i, :] in increasing i (dx is zeroed by the caller).
template <class T>
void scatter_add_rows(const T* g, int64_t D, const int64_t* idx, int64_t n, T* dx);
// dst[idx[i], :] = src[i, :]; indices must be distinct (the caller keeps the last of repeats).
void scatter_rows(const void* src, int64_t D, const int64_t* idx, int64_t n, void* dst,
                  int elem_size);
}  // namespace ss::cpu

namespace ss::cuda {
// idx is device memory.
void gather_rows(const void* src, int64_t D, const int64_t* idx, int64_t n, void* dst,
                 int elem_size);
// Deterministic scatter-add without atomics: the caller groups the positions by target
// row (CSR: rows[r] receives g at positions pos[start[r] .. start[r+1]), in increasing
// order) so each output row is summed in the CPU's order. All arrays are device memory;
// dx rows not listed are left untouched (the caller zeroes dx).
void scatter_add_rows(const float* g, int64_t D, const int64_t* rows, const int64_t* start,
                      const int64_t* pos, int64_t n_rows, float* dx);
// dst[idx[i], :] = src[i, :] with distinct idx (device memory).
void scatter_rows(const void* src, int64_t D, const int64_t* idx, int64_t n, void* dst,
                  int elem_size);
}  // namespace ss::cuda
