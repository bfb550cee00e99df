#include "ss/allocator.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "ss/kernels/env.h"
#include "ss/kernels/error.h"
#include "ss/kernels/runtime.h"

#ifdef SS_WITH_CUDA
namespace ss::cuda {
void set_release_cached_hook(void (*fn)());  // kernels/cuda/context.h (needs CUDA headers)
}
#endif

namespace ss {
namespace {
size_t round_up(size_t b, size_t to) { return (b + to - 1) / to * to; }

// Segment size for a request that no cached block fits: small requests share 2 MiB
// segments, medium ones 20 MiB, large ones get their own (rounded to 2 MiB).
size_t segment_size(size_t size) {
  if (size <= CachingAllocator::kSmall) return CachingAllocator::kPage;
  if (size < CachingAllocator::kLargeSegment / 2) return CachingAllocator::kLargeSegment;
  return round_up(size, CachingAllocator::kPage);
}

CachingAllocator::Backing backing_from_env(DeviceType type) {
  const std::string s = env_value("SS_ALLOC");
  if (s == "heap") return CachingAllocator::Backing::Heap;
  if (s == "segments") return CachingAllocator::Backing::Segments;
  if (!s.empty())
    std::fprintf(stderr, "selfstudy: SS_ALLOC=%s is not heap or segments; using the default\n",
                 s.c_str());
  // CUDA keeps segments until the VMM heap has been measured on a GPU.
  return type == DeviceType::CPU ? CachingAllocator::Backing::Heap
                                 : CachingAllocator::Backing::Segments;
}
}  // namespace

CachingAllocator::CachingAllocator(DeviceType type)
    : CachingAllocator(type, backing_from_env(type)) {}

CachingAllocator::CachingAllocator(DeviceType type, Backing backing, size_t heap_capacity)
    : type_(type), backing_(backing), heap_capacity_(heap_capacity) {
  if (backing_ == Backing::Heap && type_ == DeviceType::CUDA && !cuda::vm_supported()) {
    std::fprintf(stderr, "selfstudy: CUDA allocator falls back to segments: %s\n",
                 cuda::vm_unsupported_reason().c_str());
    backing_ = Backing::Segments;
  }
  small_.small = private_small_.small = true;
  private_small_.priv = private_large_.priv = true;
}

CachingAllocator::~CachingAllocator() {
  // Process exit: the OS reclaims memory; freeing CUDA memory after the runtime has shut
  // down would fail, so device memory is deliberately left alone (the global allocators
  // are never destroyed; the tests' own host instances free theirs).
  if (type_ != DeviceType::CPU) return;
  for (Pool* p : {&small_, &large_, &private_small_, &private_large_}) {
    for (Block* head : p->segments) {
      if (backing_ == Backing::Segments) std::free(head->ptr);
      for (Block* b = head; b;) {
        Block* n = b->next;
        delete b;
        b = n;
      }
    }
    if (p->base) munmap(p->base, p->capacity);
  }
}

void* CachingAllocator::system_alloc(size_t bytes) {
  if (type_ == DeviceType::CUDA) return cuda::malloc_device(bytes);
  void* p = std::aligned_alloc(64, bytes);
  SS_CHECK(p, "out of host memory allocating ", bytes >> 20, " MiB");
  return p;
}

void CachingAllocator::system_free(void* p) {
  if (type_ == DeviceType::CUDA)
    cuda::free_device(p);
  else
    std::free(p);
}

void CachingAllocator::map_pages(char* p, size_t bytes) {
  if (type_ == DeviceType::CUDA) return cuda::vm_map(p, bytes);
  SS_CHECK(mprotect(p, bytes, PROT_READ | PROT_WRITE) == 0, "out of host memory mapping ",
           bytes >> 20, " MiB (", std::strerror(errno), ")");
}

// Fresh inaccessible pages over the range: the kernel drops the old ones at once.
void CachingAllocator::unmap_pages(char* p, size_t bytes) {
  if (type_ == DeviceType::CUDA) return cuda::vm_unmap(p, bytes);
  if (mmap(p, bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
           0) == MAP_FAILED)
    std::fprintf(stderr, "selfstudy: could not release %zu MiB of host memory: %s\n",
                 bytes >> 20, std::strerror(errno));
}

CachingAllocator::Pool& CachingAllocator::pool_for(size_t size) {
  if (size <= kSmall) return private_open_ ? private_small_ : small_;
  return private_open_ ? private_large_ : large_;
}

CachingAllocator::Block* CachingAllocator::take(Pool& pool, size_t size) {
  Block key{nullptr, size, nullptr};
  auto it = pool.free.lower_bound(&key);
  if (it == pool.free.end()) return nullptr;
  Block* b = *it;
  pool.free.erase(it);
  // A remainder too small to serve its pool's requests stays inside the block.
  const size_t rest = b->size - size;
  if (pool.small ? rest >= kAlign : rest > kSmall) {
    auto* r = new Block{b->ptr + size, rest, &pool, b, b->next};
    if (b->next) b->next->prev = r;
    b->next = r;
    b->size = size;
    pool.free.insert(r);
  }
  b->allocated = true;
  return b;
}

void CachingAllocator::put_free(Block* b) {
  b->allocated = false;
  Pool& pool = *b->pool;
  // The lower block survives a merge, so a segment's head block stays.
  if (Block* n = b->next; n && !n->allocated) {
    pool.free.erase(n);
    b->size += n->size;
    b->next = n->next;
    if (n->next) n->next->prev = b;
    delete n;
  }
  if (Block* q = b->prev; q && !q->allocated) {
    pool.free.erase(q);
    q->size += b->size;
    q->next = b->next;
    if (b->next) b->next->prev = q;
    delete b;
    b = q;
  }
  pool.free.insert(b);
}

// Called with the lock held; drops it around the system call so other threads (the data
// loader's workers) are not held up by a slow cudaMalloc.
void CachingAllocator::add_segment(Pool& pool, size_t size, std::unique_lock<std::mutex>& lock) {
  const size_t seg = segment_size(size);
  lock.unlock();
  void* p = nullptr;
  if (pool.priv) {
    p = system_alloc(seg);  // no cache release: that would free memory mid-capture
  } else {
    try {
      p = system_alloc(seg);
    } catch (const Error&) {
      empty_cache();  // retry once with the cache released
      p = system_alloc(seg);
    }
  }
  lock.lock();
  auto* b = new Block{static_cast<char*>(p), seg, &pool};
  pool.segments.insert(b);
  pool.free.insert(b);
  grow_reserved(seg);
}

void CachingAllocator::reserve_heap(Pool& pool) {
  size_t cap = heap_capacity_;
  if (cap == 0) {
    if (type_ == DeviceType::CUDA)
      cap = cuda::device_memory_total();
    else
      cap = 2 * size_t(sysconf(_SC_PHYS_PAGES)) * size_t(sysconf(_SC_PAGESIZE));
  }
  cap = round_up(std::max(cap, kPage), kPage);
  char* base = nullptr;
  if (type_ == DeviceType::CUDA) {
    base = static_cast<char*>(cuda::vm_reserve(cap));
  } else {
    // Address space only: no memory is committed until map_pages.
    void* p = mmap(nullptr, cap, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    SS_CHECK(p != MAP_FAILED, "could not reserve ", cap >> 20, " MiB of address space for the "
             "host allocator (", std::strerror(errno), "); try SS_ALLOC=segments");
    base = static_cast<char*>(p);
  }
  pool.base = base;
  pool.capacity = cap;
  pool.mapped.assign(cap / kPage, false);
  auto* b = new Block{base, cap, &pool};
  pool.segments.insert(b);
  pool.free.insert(b);
}

void CachingAllocator::grow_reserved(size_t bytes) {
  reserved_ += bytes;
  reserved_peak_ = std::max(reserved_peak_, reserved_);
}

// Pages [first, end) of a heap into the state `on`, one system call per run of pages
// currently in the other state.
void CachingAllocator::set_mapped(Pool& pool, size_t first, size_t end, bool on) {
  for (size_t i = first; i < end;) {
    if (pool.mapped[i] == on) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < end && pool.mapped[j] != on) ++j;
    const size_t bytes = (j - i) * kPage;
    if (on) {
      map_pages(pool.base + i * kPage, bytes);
      grow_reserved(bytes);
    } else {
      unmap_pages(pool.base + i * kPage, bytes);
      reserved_ -= bytes;
    }
    for (size_t k = i; k < j; ++k) pool.mapped[k] = on;
    i = j;
  }
}

void CachingAllocator::back_pages(Pool& pool, const Block* b) {
  const size_t off = size_t(b->ptr - pool.base);
  set_mapped(pool, off / kPage, (off + b->size + kPage - 1) / kPage, true);
}

void* CachingAllocator::allocate(size_t bytes) {
  SS_CHECK(bytes <= (size_t(1) << 50), "out of memory: a request for ", bytes >> 20, " MiB");
  const size_t size = round_up(bytes == 0 ? 1 : bytes, kAlign);
  std::unique_lock<std::mutex> lock(mu_);
  Pool& pool = pool_for(size);
  Block* b = nullptr;
  if (backing_ == Backing::Heap) {
    if (!pool.base) reserve_heap(pool);
    auto take_backed = [&] {
      b = take(pool, size);
      SS_CHECK(b, "out of memory: the allocator's ", pool.capacity >> 20,
               " MiB address range has no room for ", size >> 20, " MiB more");
      try {
        back_pages(pool, b);
      } catch (...) {
        put_free(b);
        throw;
      }
    };
    try {
      take_backed();
    } catch (const Error&) {
      if (pool.priv) throw;  // no cache release: that would free memory mid-capture
      lock.unlock();
      empty_cache();  // retry once with the cache released
      lock.lock();
      take_backed();
    }
  } else {
    b = take(pool, size);
    while (!b) {  // another thread may have split the new segment meanwhile
      add_segment(pool, size, lock);
      b = take(pool, size);
    }
  }
  live_[b->ptr] = b;
  in_use_ += b->size;
  peak_ = std::max(peak_, in_use_);
  return b->ptr;
}

void CachingAllocator::release(void* p) {
  if (!p) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(p);
  if (it == live_.end()) return;
  Block* b = it->second;
  live_.erase(it);
  in_use_ -= b->size;
  put_free(b);
}

void CachingAllocator::trim(Pool& pool) {
  if (backing_ == Backing::Heap) {
    if (!pool.base) return;
    for (Block* b : pool.free) {
      // Only pages wholly inside the free block: its neighbours may use the edge pages.
      const size_t off = size_t(b->ptr - pool.base);
      set_mapped(pool, (off + kPage - 1) / kPage, (off + b->size) / kPage, false);
    }
    return;
  }
  for (auto it = pool.segments.begin(); it != pool.segments.end();) {
    Block* head = *it;
    if (head->allocated || head->next) {
      ++it;
      continue;
    }
    pool.free.erase(head);
    system_free(head->ptr);
    reserved_ -= head->size;
    delete head;
    it = pool.segments.erase(it);
  }
}

void CachingAllocator::begin_private_pool() {
  std::lock_guard<std::mutex> lock(mu_);
  SS_CHECK(!private_open_, "allocator: a private pool is already open");
  // A heap's address range is reserved now, before the caller starts a stream capture:
  // only page mapping, as with PyTorch's expandable segments, then happens inside one.
  if (backing_ == Backing::Heap)
    for (Pool* p : {&private_small_, &private_large_})
      if (!p->base) reserve_heap(*p);
  private_open_ = true;
  private_held_ = true;
}

void CachingAllocator::end_private_pool() {
  std::lock_guard<std::mutex> lock(mu_);
  private_open_ = false;
}

void CachingAllocator::release_private_pool() {
  std::lock_guard<std::mutex> lock(mu_);
  SS_CHECK(!private_open_, "allocator: release_private_pool while a capture is open");
  private_held_ = false;
  const bool any = !private_small_.segments.empty() || !private_large_.segments.empty();
  // Replays queued earlier may still write these blocks.
  if (type_ == DeviceType::CUDA && any) cuda::synchronize();
  for (auto [from, to] : {std::pair{&private_small_, &small_}, {&private_large_, &large_}}) {
    trim(*from);
    if (backing_ == Backing::Heap) continue;  // a heap stays one range: its live blocks return to it
    for (Block* head : from->segments) {
      to->segments.insert(head);
      for (Block* b = head; b; b = b->next) b->pool = to;
    }
    to->free.insert(from->free.begin(), from->free.end());
    from->segments.clear();
    from->free.clear();
  }
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mu_);
  // Cached CUDA blocks may still be read or written by queued kernels (release() is
  // stream-ordered, not complete); cudaFree only "may" synchronise, so wait explicitly.
  std::vector<Pool*> pools{&small_, &large_};
  if (!private_held_) pools.insert(pools.end(), {&private_small_, &private_large_});
  bool any = false;
  for (const Pool* p : pools) any = any || !p->free.empty();
  if (type_ == DeviceType::CUDA && any) cuda::synchronize();
  for (Pool* p : pools) trim(*p);
}

size_t CachingAllocator::bytes_in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}
size_t CachingAllocator::peak_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_;
}
size_t CachingAllocator::bytes_reserved() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reserved_;
}
size_t CachingAllocator::peak_reserved() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reserved_peak_;
}
void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mu_);
  peak_ = in_use_;
  reserved_peak_ = reserved_;
}

CachingAllocator& CachingAllocator::for_device(Device d) {
  // Leaked on purpose: tensors in static objects may be freed after main returns.
  static auto* cpu = new CachingAllocator(DeviceType::CPU);
  static auto* gpu = [] {
    auto* a = new CachingAllocator(DeviceType::CUDA);
#ifdef SS_WITH_CUDA
    // The kernels' scratch workspace (cuDNN algorithms may want GiBs) is allocated outside
    // this cache: when it cannot grow, it first asks us to release our cached blocks.
    cuda::set_release_cached_hook([] { for_device(Device::cuda()).empty_cache(); });
#endif
    return a;
  }();
  return d.is_cuda() ? *gpu : *cpu;
}

}  // namespace ss
