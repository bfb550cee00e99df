#include "ss/kernels/gather.h"

#include <cstring>

#include "instantiate.h"

namespace ss::cpu {

void gather_rows(const void* src, int64_t D, const int64_t* idx, int64_t n, void* dst,
                 int elem_size) {
  const size_t row = size_t(D) * size_t(elem_size);
  const auto* s = static_cast<const char*>(src);
  auto* d = static_cast<char*>(dst);
#pragma omp parallel for schedule(static) if (n * D > (1 << 16))
  for (int64_t i = 0; i < n; ++i) std::memcpy(d + size_t(i) * row, s + size_t(idx[i]) * row, row);
}

void scatter_rows(const void* src, int64_t D, const int64_t* idx, int64_t n, void* dst,
                  int elem_size) {
  const size_t row = size_t(D) * size_t(elem_size);
  const auto* s = static_cast<const char*>(src);
  auto* d = static_cast<char*>(dst);
#pragma omp parallel for schedule(static) if (n * D > (1 << 16))
  for (int64_t i = 0; i < n; ++i) std::memcpy(d + size_t(idx[i]) * row, s + size_t(i) * row, row);
}

template <class T>
void scatter_add_rows(const T* g, int64_t D, const int64_t* idx, int64_t n, T* dx) {
  for (int64_t i = 0; i < n; ++i) {
    T* out = dx + idx[i] * D;
    const T* in = g + i * D;
    for (int64_t d = 0; d < D; ++d) out[d] += in[d];
  }
}

#define SS_INST(T) template void scatter_add_rows<T>(const T*, int64_t, const int64_t*, int64_t, T*);
SS_INSTANTIATE_FLOATS(SS_INST)
#undef SS_INST

}  // namespace ss::cpu
