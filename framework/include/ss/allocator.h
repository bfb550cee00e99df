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
  // CUDA graphs replay fixed addresses: blocks allocated while a private pool is open are
  // reserved for it (when freed they return to the pool's own list, never to the shared
  // one), so eager tensors can never alias memory a graph replay writes.
  void begin_private_pool();
  void end_private_pool();
  // Once no graph uses the pool any more: its free blocks go back to the system and the
  // ones still held by tensors join the shared cache when those are freed.
  void release_private_pool();

  static CachingAllocator& for_device(Device d);

 private:
  void* system_alloc(size_t bytes);
  void system_free(void* p);
  DeviceType type_;
  mutable std::mutex mu_;
  std::multimap<size_t, void*> free_;        // size -> block
  std::unordered_map<void*, size_t> live_;   // block -> size
  std::multimap<size_t, void*> private_free_;
  std::unordered_map<void*, bool> private_;  // blocks owned by the private pool
  bool private_open_ = false;
  size_t in_use_ = 0, peak_ = 0, cached_ = 0;
};

}  // namespace ss
