// Element types and devices.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace ss {

// F32 is the compute type; F64 is for reference/gradient checks on CPU; F16 is the
// mixed-precision activation type (ss/amp.h: f32 arithmetic, f16 storage); BF16 is a
// storage type; integer types hold labels and indices.
enum class DType : uint8_t { F32, F64, F16, BF16, I64, I32, U8 };

size_t dtype_size(DType t);
const char* dtype_name(DType t);
inline bool is_floating(DType t) {
  return t == DType::F32 || t == DType::F64 || t == DType::F16 || t == DType::BF16;
}

template <class T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::F32; }
template <> constexpr DType dtype_of<double>() { return DType::F64; }
template <> constexpr DType dtype_of<int64_t>() { return DType::I64; }
template <> constexpr DType dtype_of<int32_t>() { return DType::I32; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::U8; }

enum class DeviceType : uint8_t { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;
  static Device cpu() { return {DeviceType::CPU, 0}; }
  static Device cuda(int i = 0) { return {DeviceType::CUDA, i}; }
  bool is_cuda() const { return type == DeviceType::CUDA; }
  bool is_cpu() const { return type == DeviceType::CPU; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  std::string str() const;
  // "cpu", "cuda", "cuda:0"; throws ss::Error on anything else (other ordinals included).
  static Device parse(const std::string& s);
};

// True when this build has the CUDA backend and a GPU is visible. The first call that
// finds none prints one line saying why (once per process).
bool cuda_available();

}  // namespace ss
