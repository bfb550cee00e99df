#include "ss/allocator.h"

#include <cstdlib>
#include <new>

#include "ss/kernels/error.h"
#include "ss/kernels/runtime.h"

#ifdef SS_WITH_CUDA
namespace ss::cuda {
void set_release_cached_hook(void (*fn)());  // kernels/cuda/context.h (needs CUDA headers)
}
#endif

namespace ss {
namespace {
// Round so that slightly different sizes share blocks: 512 B granularity below 1 MiB,
// then 1/8 of the next power of two.
size_t round_size(size_t b) {
  if (b < (1u << 20)) return (b + 511) & ~size_t(511);
  size_t p = 1;
  while (p < b) p <<= 1;
  const size_t step = p / 8;
  return (b + step - 1) / step * step;
}
}  // namespace

CachingAllocator::~CachingAllocator() {
  // Process exit: the OS reclaims memory; freeing CUDA memory after the runtime has shut
  // down would fail, so cached blocks are deliberately left alone.
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

void* CachingAllocator::allocate(size_t bytes) {
  const size_t sz = round_size(bytes == 0 ? 1 : bytes);
  std::unique_lock<std::mutex> lock(mu_);
  if (private_open_) {
    auto pit = private_free_.lower_bound(sz);
    void* p = nullptr;
    size_t got = sz;
    if (pit != private_free_.end() && pit->first <= sz + sz / 4) {
      p = pit->second;
      got = pit->first;
      private_free_.erase(pit);
    } else {
      lock.unlock();
      p = system_alloc(sz);  // no cache release: that would free memory mid-capture
      lock.lock();
      private_[p] = true;
    }
    live_[p] = got;
    in_use_ += got;
    peak_ = std::max(peak_, in_use_);
    return p;
  }
  auto it = free_.lower_bound(sz);
  // Reuse a cached block if it is not wastefully larger than requested.
  if (it != free_.end() && it->first <= sz + sz / 4) {
    void* p = it->second;
    const size_t got = it->first;
    free_.erase(it);
    cached_ -= got;
    live_[p] = got;
    in_use_ += got;
    peak_ = std::max(peak_, in_use_);
    return p;
  }
  lock.unlock();
  void* p = nullptr;
  try {
    p = system_alloc(sz);
  } catch (const Error&) {
    empty_cache();  // retry once with the cache released
    p = system_alloc(sz);
  }
  lock.lock();
  live_[p] = sz;
  in_use_ += sz;
  peak_ = std::max(peak_, in_use_);
  return p;
}

void CachingAllocator::release(void* p) {
  if (!p) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(p);
  if (it == live_.end()) return;
  const size_t sz = it->second;
  live_.erase(it);
  in_use_ -= sz;
  if (private_.count(p)) {
    private_free_.emplace(sz, p);
    return;
  }
  free_.emplace(sz, p);
  cached_ += sz;
}

void CachingAllocator::begin_private_pool() {
  std::lock_guard<std::mutex> lock(mu_);
  SS_CHECK(!private_open_, "allocator: a private pool is already open");
  private_open_ = true;
}

void CachingAllocator::end_private_pool() {
  std::lock_guard<std::mutex> lock(mu_);
  private_open_ = false;
}

void CachingAllocator::release_private_pool() {
  std::lock_guard<std::mutex> lock(mu_);
  SS_CHECK(!private_open_, "allocator: release_private_pool while a capture is open");
  // Replays queued earlier may still write these blocks.
  if (type_ == DeviceType::CUDA && !private_free_.empty()) cuda::synchronize();
  for (auto& [sz, p] : private_free_) {
    private_.erase(p);
    system_free(p);
  }
  private_free_.clear();
  private_.clear();
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mu_);
  // Cached CUDA blocks may still be read or written by queued kernels (release() is
  // stream-ordered, not complete); cudaFree only "may" synchronise, so wait explicitly.
  if (type_ == DeviceType::CUDA && !free_.empty()) cuda::synchronize();
  for (auto& [sz, p] : free_) system_free(p);
  free_.clear();
  cached_ = 0;
}

size_t CachingAllocator::bytes_in_use() const {
  std::lock_guard<std::mutex> lock(mu_);
  return in_use_;
}
size_t CachingAllocator::peak_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return peak_;
}
void CachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(mu_);
  peak_ = in_use_;
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
