// Planning a strided copy (ss::StridedCopy): merging dimensions that are contiguous in both
// source and destination, and spotting the copies that are batched 2-D transposes of small
// slabs (the NCHW <-> NHWC conversions of weights and activations), which the CUDA backend
// runs through shared memory with coalesced reads and writes. Host code shared with the
// tests, so the plan and its index map are checked without a GPU.
#pragma once
#include <cstdint>

#include "ss/kernels/elementwise.h"
#include "ss/kernels/hd.h"

namespace ss {

// Drops size-1 dims and merges neighbours that are contiguous in both src and dst; the
// same copy over fewer dims.
inline StridedCopy coalesce(const StridedCopy& d) {
  StridedCopy o;
  for (int i = 0; i < d.ndim; ++i) {
    if (d.shape[i] == 1) continue;
    if (o.ndim > 0) {
      const int l = o.ndim - 1;
      if (o.src_stride[l] == d.src_stride[i] * d.shape[i] &&
          o.dst_stride[l] == d.dst_stride[i] * d.shape[i]) {
        o.shape[l] *= d.shape[i];
        o.src_stride[l] = d.src_stride[i];
        o.dst_stride[l] = d.dst_stride[i];
        continue;
      }
    }
    o.shape[o.ndim] = d.shape[i];
    o.src_stride[o.ndim] = d.src_stride[i];
    o.dst_stride[o.ndim] = d.dst_stride[i];
    ++o.ndim;
  }
  return o;
}

// `batch` slabs, each contiguous in both arrays (slab b at b * rows * cols): the source
// slab is [rows][cols] row-major, the destination slab its transpose [cols][rows].
struct SlabTranspose {
  int64_t batch = 0, rows = 0, cols = 0;
};

// A coalesced copy that is such a transpose with slabs of at most max_elems elements.
// KRSC -> KCRS filter gradients are [K] slabs [RS][C] -> [C][RS]; NCHW -> NHWC activations
// are [N] slabs [C][HW] -> [HW][C].
inline bool plan_slab_transpose(const StridedCopy& c, int64_t max_elems, SlabTranspose* t) {
  if (c.ndim != 2 && c.ndim != 3) return false;
  const int a = c.ndim - 2, b = c.ndim - 1;  // the two transposed dims
  const int64_t s1 = c.shape[a], s2 = c.shape[b];
  if (s1 * s2 > max_elems) return false;
  if (c.ndim == 3 && (c.src_stride[0] != s1 * s2 || c.dst_stride[0] != s1 * s2)) return false;
  const int64_t batch = c.ndim == 3 ? c.shape[0] : 1;
  if (c.dst_stride[a] == s2 && c.dst_stride[b] == 1 && c.src_stride[a] == 1 &&
      c.src_stride[b] == s1) {  // source [s2][s1] -> destination [s1][s2]
    *t = {batch, s2, s1};
    return true;
  }
  if (c.src_stride[a] == s2 && c.src_stride[b] == 1 && c.dst_stride[a] == 1 &&
      c.dst_stride[b] == s1) {  // source [s1][s2] -> destination [s2][s1]
    *t = {batch, s1, s2};
    return true;
  }
  return false;
}

// The slab in shared memory: rows of `ld` >= cols elements (padded so that reading a
// column touches different banks). Source element i (row-major [rows][cols]) is stored at
// slab_store_index; destination element j ([cols][rows]: j = col * rows + row) is read
// from slab_load_index. 32-bit: a slab is at most a few thousand elements.
SS_HD int slab_store_index(int i, int cols, int ld) {
  const int row = i / cols;
  return row * ld + (i - row * cols);
}
SS_HD int slab_load_index(int j, int rows, int ld) {
  const int col = j / rows;
  return (j - col * rows) * ld + col;
}
// Row padding for elements of `elem_size` bytes: one 4-byte bank.
inline int slab_pad(int elem_size) { return elem_size < 4 ? 4 / elem_size : 1; }

}  // namespace ss
