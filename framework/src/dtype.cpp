#include "ss/dtype.h"

#include <cstdio>
#include <mutex>

#include "ss/kernels/error.h"
#include "ss/kernels/runtime.h"

namespace ss {

size_t dtype_size(DType t) {
  switch (t) {
    case DType::F32: return 4;
    case DType::F64: return 8;
    case DType::F16: return 2;
    case DType::BF16: return 2;
    case DType::I64: return 8;
    case DType::I32: return 4;
    case DType::U8: return 1;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::F32: return "f32";
    case DType::F64: return "f64";
    case DType::F16: return "f16";
    case DType::BF16: return "bf16";
    case DType::I64: return "i64";
    case DType::I32: return "i32";
    case DType::U8: return "u8";
  }
  return "?";
}

std::string Device::str() const {
  return is_cuda() ? "cuda:" + std::to_string(index) : std::string("cpu");
}

Device Device::parse(const std::string& s) {
  if (s == "cpu") return cpu();
  if (s == "cuda") return cuda(0);
  if (s == "cuda:0") return cuda(0);
  // One stream and one set of library handles serve device 0 (kernels/cuda/context.h);
  // other ordinals would silently run there, so they are refused. CUDA_VISIBLE_DEVICES
  // picks which GPU is device 0.
  SS_CHECK(s.rfind("cuda:", 0) != 0, "device '", s,
           "': only cuda:0 is supported (choose the GPU with CUDA_VISIBLE_DEVICES)");
  SS_FAIL("unknown device '", s, "' (expected cpu, cuda or cuda:0)");
}

bool cuda_available() {
  static const bool available = [] {
    const int n = cuda::device_count();
    if (n == 0)
      std::fprintf(stderr, "selfstudy: no CUDA device (%s); running on CPU\n",
                   cuda::unavailable_reason().c_str());
    return n > 0;
  }();
  return available;
}

}  // namespace ss
