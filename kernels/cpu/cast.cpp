// fp16 / bf16 <-> fp32 conversion with round-to-nearest-even, done on bit patterns so the
// result is identical to the CUDA intrinsics (__float2half_rn, __float2bfloat16_rn).
#include <cstdint>
#include <cstring>

#include "ss/kernels/elementwise.h"

namespace ss::cpu {
namespace {

uint32_t bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

uint16_t f32_to_bf16(float f) {
  uint32_t u = bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return uint16_t((u >> 16) | 0x40u);  // quiet nan
  u += 0x7fffu + ((u >> 16) & 1u);
  return uint16_t(u >> 16);
}

float bf16_to_f32(uint16_t b) { return from_bits(uint32_t(b) << 16); }

}  // namespace

uint16_t f32_to_f16(float f) {
  const uint32_t u = bits(f);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const uint32_t absu = u & 0x7fffffffu;
  if (absu >= 0x7f800000u)  // inf or nan
    return uint16_t(sign | 0x7c00u | (absu > 0x7f800000u ? 0x200u : 0u));
  if (absu >= 0x477ff000u) return uint16_t(sign | 0x7c00u);  // rounds to inf
  if (absu < 0x38800000u) {  // subnormal half (or zero): scale into integer domain
    const float a = from_bits(absu);
    // a * 2^24 rounded to nearest-even gives the subnormal mantissa directly.
    const float scaled = a * 16777216.0f;
    uint32_t m = uint32_t(scaled);
    const float frac = scaled - float(m);
    if (frac > 0.5f || (frac == 0.5f && (m & 1u))) ++m;
    return uint16_t(sign | m);
  }
  uint32_t e = ((absu >> 23) - 112u) << 10;  // rebias 127 -> 15
  uint32_t m = (absu >> 13) & 0x3ffu;
  uint32_t h = e | m;
  const uint32_t rest = absu & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;  // carry may bump exponent
  return uint16_t(sign | h);
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000u) << 16;
  const uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0) {
    const float v = float(m) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  if (e == 31) return from_bits(sign | 0x7f800000u | (m << 13));
  return from_bits(sign | ((e + 112u) << 23) | (m << 13));
}

void cast(CastKind kind, const void* src, void* dst, int64_t n) {
  switch (kind) {
    case CastKind::F32toF16: {
      auto s = static_cast<const float*>(src);
      auto d = static_cast<uint16_t*>(dst);
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_f16(s[i]);
      break;
    }
    case CastKind::F16toF32: {
      auto s = static_cast<const uint16_t*>(src);
      auto d = static_cast<float*>(dst);
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < n; ++i) d[i] = f16_to_f32(s[i]);
      break;
    }
    case CastKind::F32toBF16: {
      auto s = static_cast<const float*>(src);
      auto d = static_cast<uint16_t*>(dst);
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < n; ++i) d[i] = f32_to_bf16(s[i]);
      break;
    }
    case CastKind::BF16toF32: {
      auto s = static_cast<const uint16_t*>(src);
      auto d = static_cast<float*>(dst);
#pragma omp parallel for schedule(static)
      for (int64_t i = 0; i < n; ++i) d[i] = bf16_to_f32(s[i]);
      break;
    }
  }
}
}  // namespace ss::cpu
