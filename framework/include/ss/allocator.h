// Caching allocator per device, in the scheme of PyTorch's CUDA caching allocator: blocks
// are carved from larger stretches of memory (best fit, split, merged again with free
// neighbours on release), so a training loop that allocates the same shapes every step
// stops calling the system after the first step, and a freed block of one size can serve
// later requests of other sizes. Two backings:
//  * heap: each pool is one reserved address range whose pages are backed with memory on
//    demand (mmap on the host, the CUDA VMM API on the device; PyTorch's "expandable
//    segments"). Free neighbours always merge, so what is held stays at the live peak.
//  * segments: separately allocated segments (malloc/cudaMalloc); blocks merge only within
//    their segment, so a backward pass that frees small activations while it allocates
//    large gradients holds ~20% more than it uses.
// SS_ALLOC=heap|segments picks one; the default is heap on the host and segments on CUDA.
// Thread-safe.
#pragma once
#include <cstddef>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

#include "ss/dtype.h"

namespace ss {

class CachingAllocator {
 public:
  enum class Backing { Heap, Segments };
  explicit CachingAllocator(DeviceType type);  // backing from SS_ALLOC
  // heap_capacity: address space reserved per pool (0: twice the host's RAM, or the
  // device's memory).
  CachingAllocator(DeviceType type, Backing backing, size_t heap_capacity = 0);
  ~CachingAllocator();
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  void* allocate(size_t bytes);
  void release(void* p);
  void empty_cache();  // give the free memory of pools no graph holds back to the system
  Backing backing() const { return backing_; }
  size_t bytes_in_use() const;    // blocks handed out (sizes rounded up to 512 bytes)
  size_t peak_bytes() const;
  size_t bytes_reserved() const;  // taken from the system: in use + cached
  size_t peak_reserved() const;
  void reset_peak();  // both peaks := current
  // CUDA graphs replay fixed addresses: blocks allocated while a private pool is open come
  // from the pool's own memory, which eager allocations never use, so eager tensors can
  // never alias memory a graph replay writes.
  void begin_private_pool();
  void end_private_pool();
  // Once no graph uses the pool any more: its free memory goes back to the system (with
  // segments, those still holding live tensors join the shared pools).
  void release_private_pool();

  static CachingAllocator& for_device(Device d);

  // Block granularity, pool and segment sizes (public for the tests).
  static constexpr size_t kAlign = 512;
  static constexpr size_t kSmall = size_t(1) << 20;  // requests up to this: small pool
  static constexpr size_t kPage = size_t(2) << 20;   // heap mapping unit; small segment size
  static constexpr size_t kLargeSegment = size_t(20) << 20;  // shared by requests < 10 MiB

 private:
  struct Pool;
  struct Block {
    char* ptr;
    size_t size;
    Pool* pool;
    Block* prev = nullptr;  // neighbours within the segment or heap (address order)
    Block* next = nullptr;
    bool allocated = false;
  };
  struct BySize {
    bool operator()(const Block* a, const Block* b) const {
      return a->size != b->size ? a->size < b->size : a->ptr < b->ptr;
    }
  };
  struct Pool {
    bool small = false, priv = false;
    std::set<Block*, BySize> free;
    std::set<Block*> segments;  // each segment's (or the heap's) first block: never merged away
    char* base = nullptr;       // heap: the reserved range and which pages are backed
    size_t capacity = 0;
    std::vector<bool> mapped;
  };

  Pool& pool_for(size_t size);
  Block* take(Pool& pool, size_t size);  // best fit, split; nullptr if none fits
  void put_free(Block* b);               // merge with free neighbours, back to the free set
  void add_segment(Pool& pool, size_t size, std::unique_lock<std::mutex>& lock);
  void reserve_heap(Pool& pool);
  void back_pages(Pool& pool, const Block* b);  // heap: map the pages under b
  void set_mapped(Pool& pool, size_t first, size_t end, bool on);
  void grow_reserved(size_t bytes);
  void trim(Pool& pool);  // give back wholly free segments / unmap pages under free blocks
  void* system_alloc(size_t bytes);
  void system_free(void* p);
  void map_pages(char* p, size_t bytes);
  void unmap_pages(char* p, size_t bytes);

  DeviceType type_;
  Backing backing_;
  size_t heap_capacity_;
  mutable std::mutex mu_;
  Pool small_, large_, private_small_, private_large_;
  std::unordered_map<void*, Block*> live_;
  bool private_open_ = false;
  // From begin_private_pool until release_private_pool: graphs may replay the private pools'
  // addresses, so their free memory stays. After it, a heap's private range (which keeps the
  // blocks still live in it) gives its freed pages back with the shared pools'.
  bool private_held_ = false;
  size_t in_use_ = 0, peak_ = 0, reserved_ = 0, reserved_peak_ = 0;
};

}  // namespace ss
