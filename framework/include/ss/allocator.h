// Caching allocator per device: freed blocks are kept in size-binned free lists and reused,
// so a training loop that allocates the same shapes every step stops calling the system
// allocator (and cudaMalloc) after the first step. Thread-safe.
#pragma once
#include <cstddef>
#include <map>
#include <mutex>
#include <unordered_map>

#include "ss/dtype.h"

namespace ss {

class CachingAllocator {
 public:
  explicit CachingAllocator(DeviceType type) : type_(type) {}
  ~CachingAllocator();
  void* allocate(size_t bytes);
  void release(void* p);
  void empty_cache();  // return cached blocks to the system
  size_t bytes_in_use() const;
  size_t peak_bytes() const;
  void reset_peak();

  static CachingAllocator& for_device(Device d);

 private:
  void* system_alloc(size_t bytes);
  void system_free(void* p);
  DeviceType type_;
  mutable std::mutex mu_;
  std::multimap<size_t, void*> free_;        // size -> block
  std::unordered_map<void*, size_t> live_;   // block -> size
  size_t in_use_ = 0, peak_ = 0, cached_ = 0;
};

}  // namespace ss
