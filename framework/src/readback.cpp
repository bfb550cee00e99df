#include "ss/readback.h"

#include <cstring>
#include <utility>

#include "ss/kernels/error.h"
#include "ss/kernels/runtime.h"

namespace ss {

PendingRead::PendingRead(const Tensor& t) : valid_(true), count_(size_t(t.numel())) {
  if (!t.is_cuda()) {
    host_ = t.to_vector<double>();
    return;
  }
  Tensor c = t.contiguous();
  if (c.dtype() != DType::F32 && c.dtype() != DType::F64 && c.dtype() != DType::I64)
    c = c.to(DType::F32);
  dtype_ = c.dtype();
  // The copy is queued on the stream now; the block may be reused by later work, which
  // the stream orders after it.
  ticket_ = cuda::readback_start(c.raw(), c.nbytes());
}

PendingRead::~PendingRead() { release(); }

PendingRead::PendingRead(PendingRead&& o) noexcept
    : valid_(o.valid_), ticket_(o.ticket_), dtype_(o.dtype_), count_(o.count_),
      host_(std::move(o.host_)) {
  o.valid_ = false;
  o.ticket_ = -1;
}

PendingRead& PendingRead::operator=(PendingRead&& o) noexcept {
  if (this != &o) {
    release();
    valid_ = o.valid_, ticket_ = o.ticket_, dtype_ = o.dtype_, count_ = o.count_;
    host_ = std::move(o.host_);
    o.valid_ = false;
    o.ticket_ = -1;
  }
  return *this;
}

void PendingRead::release() noexcept {
  if (ticket_ >= 0) {
    try {
      cuda::readback_finish(ticket_, nullptr);
    } catch (...) {  // a sticky CUDA error surfaces at the next call that checks
    }
  }
  ticket_ = -1;
  valid_ = false;
}

std::vector<double> PendingRead::get() {
  SS_CHECK(valid_, "PendingRead::get: nothing to read (already read, or never started)");
  std::vector<double> out;
  if (ticket_ < 0) {
    out = std::move(host_);
  } else {
    const size_t width = dtype_ == DType::F32 ? 4 : 8;
    std::vector<unsigned char> raw(count_ * width);
    const int t = ticket_;
    ticket_ = -1;
    cuda::readback_finish(t, raw.data());
    out.resize(count_);
    for (size_t i = 0; i < count_; ++i) {
      if (dtype_ == DType::F32) {
        float f;
        std::memcpy(&f, raw.data() + i * 4, 4);
        out[i] = f;
      } else if (dtype_ == DType::F64) {
        std::memcpy(&out[i], raw.data() + i * 8, 8);
      } else {
        int64_t v;
        std::memcpy(&v, raw.data() + i * 8, 8);
        out[i] = double(v);
      }
    }
  }
  valid_ = false;
  return out;
}

}  // namespace ss
