// float <-> binary16 with round-to-nearest-even. The F16C path and the portable path
// give identical bits (tested), so files do not depend on the CPU that wrote them.
#include "ss/render/half.h"

#include <immintrin.h>

#include "ss/kernels/elementwise.h"

namespace ss::render {

// The scalar codec is the engine's (kernels/cpu/cast.cpp), so rendered files and tensor
// casts round identically.
uint16_t float_to_half(float f) { return cpu::f32_to_f16(f); }

float half_to_float(uint16_t h) { return cpu::f16_to_f32(h); }

namespace {
__attribute__((target("avx,f16c"))) void to_half_f16c(const float* s, uint16_t* d, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(s + i);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(d + i),
                     _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  for (; i < n; ++i) d[i] = float_to_half(s[i]);
}
bool has_f16c() {
  static const bool yes = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
  return yes;
}
}  // namespace

void floats_to_halves(const float* src, uint16_t* dst, size_t n) {
  if (has_f16c()) {
    to_half_f16c(src, dst, n);
    return;
  }
  for (size_t i = 0; i < n; ++i) dst[i] = float_to_half(src[i]);
}

void halves_to_floats(const uint16_t* src, float* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) dst[i] = half_to_float(src[i]);
}

}  // namespace ss::render
