// The caching allocator on the host, both backings: blocks never overlap, freed memory of
// one size serves requests of others, the heap holds no more than its live peak on a
// backward-like pattern where separate segments fragment, and the cache empties.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include "ss/allocator.h"
#include "ss/kernels/error.h"
#include "ss/kernels/runtime.h"

using namespace ss;
using Backing = CachingAllocator::Backing;

namespace {
constexpr size_t MiB = size_t(1) << 20;

const char* name(Backing b) { return b == Backing::Heap ? "heap" : "segments"; }

// Forward: activations of growing size stay live; backward: each is freed while a
// gradient twice its size is taken, the pattern that left ~20% of a ResNet-50 step's
// memory stranded in separate segments.
void backward_like(CachingAllocator& a) {
  std::vector<void*> acts;
  for (size_t mb : {12, 12, 12, 12, 24, 24, 24, 24, 48, 48}) acts.push_back(a.allocate(mb * MiB));
  std::vector<void*> grads;
  for (size_t i = 0; i < acts.size(); ++i) {
    a.release(acts[i]);
    if (!grads.empty()) {
      a.release(grads.back());
      grads.pop_back();
    }
    grads.push_back(a.allocate((i < 4 ? 24 : i < 8 ? 48 : 96) * MiB));
  }
  for (void* g : grads) a.release(g);
}
}  // namespace

TEST_CASE("allocator: live blocks never overlap and keep their bytes, for both backings") {
  for (Backing backing : {Backing::Heap, Backing::Segments}) {
    CAPTURE(name(backing));
    CachingAllocator a(DeviceType::CPU, backing, 1024 * MiB);
    std::mt19937 rng(7);
    std::map<char*, std::pair<size_t, unsigned char>> live;  // ptr -> (bytes, fill)
    size_t expect = 0;
    for (int step = 0; step < 600; ++step) {
      const bool grow = live.size() < 8 || (rng() % 3 != 0 && live.size() < 40);
      if (grow) {
        // Sizes across both pools and the 10 MiB own-segment threshold.
        const int kind = int(rng() % 4);
        const size_t bytes = kind == 0   ? 1 + rng() % 4000
                             : kind == 1 ? 1 + rng() % (900 << 10)
                             : kind == 2 ? MiB + rng() % (8 * MiB)
                                         : 10 * MiB + rng() % (20 * MiB);
        auto* p = static_cast<char*>(a.allocate(bytes));
        REQUIRE(p != nullptr);
        CHECK(reinterpret_cast<uintptr_t>(p) % 64 == 0);
        auto it = live.lower_bound(p);
        if (it != live.end()) REQUIRE(p + bytes <= it->first);
        if (it != live.begin()) {
          auto prev = std::prev(it);
          REQUIRE(prev->first + prev->second.first <= p);
        }
        const auto fill = static_cast<unsigned char>(rng());
        std::memset(p, fill, bytes);
        live[p] = {bytes, fill};
        expect += (bytes + 511) / 512 * 512;
      } else {
        auto it = live.begin();
        std::advance(it, rng() % live.size());
        auto [p, info] = *it;
        for (size_t off : {size_t(0), info.first / 2, info.first - 1}) REQUIRE(uint8_t(p[off]) == info.second);
        a.release(p);
        live.erase(it);
        expect -= (info.first + 511) / 512 * 512;
      }
      // A block keeps a remainder too small to split (under 1 MiB in the large pool).
      REQUIRE(a.bytes_in_use() >= expect);
      REQUIRE(a.bytes_in_use() <= expect + live.size() * CachingAllocator::kSmall);
      REQUIRE(a.bytes_reserved() >= a.bytes_in_use());
    }
    for (auto& [p, info] : live) a.release(p);
    CHECK(a.bytes_in_use() == 0);
    // Every block merged back with its neighbours: all memory is wholly free again.
    a.empty_cache();
    CHECK(a.bytes_reserved() == 0);
  }
}

// The data loader's workers allocate host tensors while the training thread does: blocks
// handed to concurrent threads must never overlap (segments drop the lock around malloc).
TEST_CASE("allocator: threads allocating at once get disjoint blocks, for both backings") {
  for (Backing backing : {Backing::Heap, Backing::Segments}) {
    CAPTURE(name(backing));
    CachingAllocator a(DeviceType::CPU, backing, 2048 * MiB);
    std::atomic<int> bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&a, &bad, t] {
        std::mt19937 rng(100 + t);
        std::vector<std::pair<unsigned char*, size_t>> mine;
        for (int step = 0; step < 400; ++step) {
          if (mine.size() < 12 && rng() % 3 != 0) {
            const size_t bytes = rng() % 2 ? 1 + rng() % 5000 : MiB + rng() % (12 * MiB);
            auto* p = static_cast<unsigned char*>(a.allocate(bytes));
            std::memset(p, 16 * t + 1, bytes);
            mine.emplace_back(p, bytes);
          } else if (!mine.empty()) {
            const size_t k = rng() % mine.size();
            auto [p, bytes] = mine[k];
            for (size_t off : {size_t(0), bytes / 2, bytes - 1})
              if (p[off] != 16 * t + 1) ++bad;
            a.release(p);
            mine.erase(mine.begin() + long(k));
          }
        }
        for (auto& [p, bytes] : mine) a.release(p);
      });
    for (auto& th : threads) th.join();
    CHECK(bad == 0);
    CHECK(a.bytes_in_use() == 0);
    a.empty_cache();
    CHECK(a.bytes_reserved() == 0);
  }
}

TEST_CASE("allocator: a freed block is split to serve smaller requests") {
  for (Backing backing : {Backing::Heap, Backing::Segments}) {
    CAPTURE(name(backing));
    CachingAllocator a(DeviceType::CPU, backing, 1024 * MiB);
    void* big = a.allocate(40 * MiB);
    CHECK(a.bytes_reserved() == 40 * MiB);
    a.release(big);
    void* x = a.allocate(16 * MiB);
    void* y = a.allocate(16 * MiB);
    CHECK(a.bytes_reserved() == 40 * MiB);  // both carved from the freed 40 MiB
    CHECK(x == big);
    CHECK(static_cast<char*>(y) == static_cast<char*>(big) + 16 * MiB);
    a.release(x);
    a.release(y);
    // A request larger than any freed block: the heap grows its one range, segments
    // need a new one beside the old.
    void* z = a.allocate(64 * MiB);
    CHECK(a.bytes_reserved() == (backing == Backing::Heap ? 64 * MiB : 104 * MiB));
    a.release(z);
  }
}

TEST_CASE("allocator: the heap holds its live peak where segments fragment, and a warm step takes nothing new") {
  CachingAllocator heap(DeviceType::CPU, Backing::Heap, 4096 * MiB);
  CachingAllocator seg(DeviceType::CPU, Backing::Segments);
  for (auto* a : {&heap, &seg}) {
    backward_like(*a);
    const size_t after_one = a->bytes_reserved();
    a->reset_peak();
    backward_like(*a);
    CHECK(a->bytes_reserved() == after_one);  // the second step takes nothing new
    CHECK(a->peak_reserved() == after_one);
  }
  // Live peak: the first gradient beside the other activations, 240 - 12 + 24 MiB. The heap
  // places that gradient above the activations (the 12 MiB hole is too small), then
  // reuses the merged holes: 264 MiB. Segments add a 24, a 48 and a 96 MiB segment because
  // freed activations in separate segments never merge: 240 + 24 + 48 + 96.
  CHECK(heap.peak_bytes() == 252 * MiB);
  CHECK(heap.bytes_reserved() == 264 * MiB);
  CHECK(seg.bytes_reserved() == 408 * MiB);
}

TEST_CASE("allocator: private pool blocks never serve shared allocations") {
  for (Backing backing : {Backing::Heap, Backing::Segments}) {
    CAPTURE(name(backing));
    CachingAllocator a(DeviceType::CPU, backing, 1024 * MiB);
    void* shared = a.allocate(3 * MiB);
    a.release(shared);
    a.release(a.allocate(100));  // both shared pools hold memory before the pool opens
    const size_t before = a.bytes_reserved();
    a.begin_private_pool();
    CHECK_THROWS_AS(a.begin_private_pool(), Error);
    auto* p = static_cast<char*>(a.allocate(3 * MiB));
    auto* q = static_cast<char*>(a.allocate(100));
    a.end_private_pool();
    CHECK(p != shared);  // the shared cache's free block was not used inside the pool
    a.release(p);
    a.release(q);
    for (int i = 0; i < 4; ++i) {  // eager allocations keep away from the pool's memory
      auto* e = static_cast<char*>(a.allocate(3 * MiB));
      auto* f = static_cast<char*>(a.allocate(100));
      CHECK((e + 3 * MiB <= p || e >= p + 3 * MiB));
      CHECK((f + 100 <= q || f >= q + 512));
      a.release(e);
      a.release(f);
    }
    a.release_private_pool();
    CHECK(a.bytes_reserved() == before);
  }
}

TEST_CASE("allocator: a private block freed after its pool's release goes back with empty_cache") {
  // A parameter's gradient made inside a captured step outlives the graph: once the pool
  // is released and the gradient dropped, its memory must be returnable (the heap keeps
  // such blocks in its private range; segments move them to the shared pools).
  for (Backing backing : {Backing::Heap, Backing::Segments}) {
    CAPTURE(name(backing));
    CachingAllocator a(DeviceType::CPU, backing, 1024 * MiB);
    a.begin_private_pool();
    void* kept = a.allocate(30 * MiB);
    a.release(a.allocate(5 * MiB));
    a.end_private_pool();
    a.empty_cache();  // a graph may still replay the pool: nothing of it is given back
    CHECK(a.bytes_reserved() >= 35 * MiB);
    a.release_private_pool();
    a.release(kept);
    a.empty_cache();
    CHECK(a.bytes_reserved() == 0);
  }
}

TEST_CASE("allocator: a request too large to round up fails instead of wrapping to a tiny block") {
  for (Backing backing : {Backing::Heap, Backing::Segments}) {
    CAPTURE(name(backing));
    CachingAllocator a(DeviceType::CPU, backing, 64 * MiB);
    CHECK_THROWS_AS((void)a.allocate(SIZE_MAX - 100), Error);
    CHECK(a.bytes_in_use() == 0);
  }
}

TEST_CASE("allocator: a heap that runs out of address space fails with a clear error") {
  CachingAllocator a(DeviceType::CPU, Backing::Heap, 8 * MiB);
  void* p = a.allocate(6 * MiB);
  try {
    (void)a.allocate(4 * MiB);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("out of memory") != std::string::npos);
  }
  a.release(p);
  void* r = a.allocate(8 * MiB);  // the failed attempt left nothing behind
  CHECK(r == p);
  a.release(r);
}

// The same allocator over device memory, both backings (the heap through the CUDA VMM
// API): bytes written to every block come back, blocks split and merge, and emptying the
// cache returns the device memory (the driver-side count drops with it).
TEST_CASE("CUDA allocator: device blocks of both backings keep their bytes and empty out") {
  if (!cuda::vm_supported()) {
    MESSAGE("CUDA allocator test skipped: ", cuda::vm_unsupported_reason());
    return;
  }
  for (Backing backing : {Backing::Heap, Backing::Segments}) {
    CAPTURE(name(backing));
    CachingAllocator a(DeviceType::CUDA, backing, 512 * MiB);
    REQUIRE(a.backing() == backing);
    std::vector<std::pair<void*, std::vector<uint32_t>>> blocks;
    std::mt19937 rng(3);
    // two small-pool blocks, then 2, 12 and 4 MiB ones
    for (size_t words : {size_t(1), size_t(300), size_t(1) << 19, size_t(3) << 20, size_t(1) << 20}) {
      std::vector<uint32_t> v(words);
      for (auto& x : v) x = uint32_t(rng());
      void* p = a.allocate(words * 4);
      cuda::memcpy_h2d(p, v.data(), words * 4);
      blocks.emplace_back(p, std::move(v));
    }
    for (auto& [p, v] : blocks) {
      std::vector<uint32_t> back(v.size());
      cuda::memcpy_d2h(back.data(), p, back.size() * 4);
      CHECK(back == v);
    }
    // Free the large ones, then take a block that fits where they were only if they merged.
    for (size_t k : {size_t(2), size_t(3), size_t(4)}) a.release(blocks[k].first);
    void* merged = a.allocate(size_t(18) * MiB);
    CHECK(merged == blocks[2].first);
    std::vector<uint32_t> fill(size_t(18) * MiB / 4, 0x5a5a5a5au);
    cuda::memcpy_h2d(merged, fill.data(), fill.size() * 4);
    std::vector<uint32_t> back(fill.size());
    cuda::memcpy_d2h(back.data(), merged, back.size() * 4);
    CHECK(back == fill);
    for (size_t k : {size_t(0), size_t(1)}) a.release(blocks[k].first);
    a.release(merged);
    CHECK(a.bytes_reserved() > 0);
    a.empty_cache();
    CHECK(a.bytes_reserved() == 0);
  }
}
