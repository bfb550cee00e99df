// float -> IEEE binary16 conversion (round to nearest even), bit-identical on every
// path (F16C when the CPU has it, portable code otherwise).
#pragma once
#include <cstddef>
#include <cstdint>

namespace ss::render {

uint16_t float_to_half(float f);
float half_to_float(uint16_t h);
void floats_to_halves(const float* src, uint16_t* dst, size_t n);
void halves_to_floats(const uint16_t* src, float* dst, size_t n);

}  // namespace ss::render
