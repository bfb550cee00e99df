// Device virtual memory for the caching allocator's growable heaps (runtime.h vm_*): one
// address range reserved up front, backed page by page with physical memory on demand, so
// a heap can grow without moving and its free blocks always merge with their neighbours
// (the scheme of PyTorch's expandable segments).
//
// The VMM calls are driver API. Linking libcuda would stop our CUDA build from even
// starting on machines without a driver, so the entry points are looked up through the
// runtime at first use instead.
#include <cudaTypedefs.h>

#include <mutex>
#include <string>
#include <unordered_map>

#include "context.h"

namespace ss::cuda {
namespace {

struct Vmm {
  PFN_cuMemAddressReserve_v10020 reserve = nullptr;
  PFN_cuMemAddressFree_v10020 address_free = nullptr;
  PFN_cuMemCreate_v10020 create = nullptr;
  PFN_cuMemRelease_v10020 release = nullptr;
  PFN_cuMemMap_v10020 map = nullptr;
  PFN_cuMemUnmap_v10020 unmap = nullptr;
  PFN_cuMemSetAccess_v10020 set_access = nullptr;
  CUmemAllocationProp prop{};
  CUmemAccessDesc access{};
  size_t page = 0;
  std::string why_not;  // empty when usable
  std::mutex mu;
  std::unordered_map<char*, CUmemGenericAllocationHandle> pages;  // mapped page -> memory
};

template <class F>
bool lookup(const char* name, F& fn, std::string& why_not) {
  void* p = nullptr;
  cudaDriverEntryPointQueryResult q{};
  if (cudaGetDriverEntryPointByVersion(name, &p, 12000, cudaEnableDefault, &q) != cudaSuccess ||
      q != cudaDriverEntryPointSuccess || !p) {
    (void)cudaGetLastError();
    why_not = std::string("the driver has no ") + name;
    return false;
  }
  fn = reinterpret_cast<F>(p);
  return true;
}

Vmm& vmm() {
  static Vmm* v = [] {
    auto* m = new Vmm;
    if (device_count() == 0) {
      m->why_not = "no CUDA device: " + unavailable_reason();
      return m;
    }
    stream();  // selects the device and creates the primary context
    PFN_cuDeviceGetAttribute_v2000 attr = nullptr;
    PFN_cuMemGetAllocationGranularity_v10020 gran = nullptr;
    if (!lookup("cuDeviceGetAttribute", attr, m->why_not) ||
        !lookup("cuMemGetAllocationGranularity", gran, m->why_not) ||
        !lookup("cuMemAddressReserve", m->reserve, m->why_not) ||
        !lookup("cuMemAddressFree", m->address_free, m->why_not) ||
        !lookup("cuMemCreate", m->create, m->why_not) ||
        !lookup("cuMemRelease", m->release, m->why_not) ||
        !lookup("cuMemMap", m->map, m->why_not) || !lookup("cuMemUnmap", m->unmap, m->why_not) ||
        !lookup("cuMemSetAccess", m->set_access, m->why_not))
      return m;
    int dev = 0;
    CUDA_CHECK(cudaGetDevice(&dev));
    int supported = 0;
    if (attr(&supported, CU_DEVICE_ATTRIBUTE_VIRTUAL_MEMORY_MANAGEMENT_SUPPORTED, dev) !=
            CUDA_SUCCESS ||
        !supported) {
      m->why_not = "the device does not support virtual memory management";
      return m;
    }
    m->prop.type = CU_MEM_ALLOCATION_TYPE_PINNED;
    m->prop.location.type = CU_MEM_LOCATION_TYPE_DEVICE;
    m->prop.location.id = dev;
    m->access.location = m->prop.location;
    m->access.flags = CU_MEM_ACCESS_FLAGS_PROT_READWRITE;
    size_t g = 0;
    if (gran(&g, &m->prop, CU_MEM_ALLOC_GRANULARITY_RECOMMENDED) != CUDA_SUCCESS || g == 0) {
      m->why_not = "cuMemGetAllocationGranularity failed";
      return m;
    }
    if (kVmPage % g != 0) {
      m->why_not = "the mapping granularity (" + std::to_string(g) + " B) does not divide 2 MiB";
      return m;
    }
    m->page = kVmPage;
    return m;
  }();
  return *v;
}

// Driver calls act on the calling thread's current context, which the runtime only makes
// current on a thread's first runtime call: a data-loader thread may not have made one.
void make_current(const Vmm& v) { CUDA_CHECK(cudaSetDevice(v.prop.location.id)); }

void check(CUresult r, const char* what) {
  if (r != CUDA_SUCCESS) SS_FAIL(what, " failed (CUresult ", int(r), ")");
}

// Called with v.mu held; pages not mapped are skipped.
void unmap_page(Vmm& v, char* page) {
  auto it = v.pages.find(page);
  if (it == v.pages.end()) return;
  // a page that failed to unmap stays on record: mapping it again would fail obscurely
  check(v.unmap(reinterpret_cast<CUdeviceptr>(page), v.page), "cuMemUnmap");
  const auto handle = it->second;
  v.pages.erase(it);
  note_device_bytes(-int64_t(v.page));
  check(v.release(handle), "cuMemRelease");
}

}  // namespace

bool vm_supported() { return vmm().why_not.empty(); }
std::string vm_unsupported_reason() { return vmm().why_not; }

void* vm_reserve(size_t bytes) {
  Vmm& v = vmm();
  SS_CHECK(v.why_not.empty(), "device virtual memory unavailable: ", v.why_not);
  make_current(v);
  CUdeviceptr p = 0;
  check(v.reserve(&p, bytes, v.page, 0, 0), "cuMemAddressReserve");
  return reinterpret_cast<void*>(p);
}

void vm_release(void* base, size_t bytes) {
  Vmm& v = vmm();
  if (!v.why_not.empty()) return;
  vm_unmap(base, bytes);  // the driver refuses to free a range that still has mappings
  check(v.address_free(reinterpret_cast<CUdeviceptr>(base), bytes), "cuMemAddressFree");
}

void vm_map(void* addr, size_t bytes) {
  Vmm& v = vmm();
  SS_CHECK(v.why_not.empty(), "device virtual memory unavailable: ", v.why_not);
  make_current(v);
  std::lock_guard<std::mutex> lock(v.mu);
  char* a = static_cast<char*>(addr);
  size_t done = 0;
  // On failure this call's pages are undone, so the caller can release its cache and retry.
  auto fail = [&](auto&&... msg) {
    for (size_t u = 0; u < done; u += v.page) unmap_page(v, a + u);
    SS_FAIL(msg...);
  };
  for (; done < bytes; done += v.page) {
    const auto d = reinterpret_cast<CUdeviceptr>(a + done);
    CUmemGenericAllocationHandle h{};
    const CUresult r = v.create(&h, v.page, &v.prop, 0);
    if (r == CUDA_ERROR_OUT_OF_MEMORY)
      fail("CUDA out of memory mapping ", bytes >> 20, " MiB of the allocator's heap (",
           mem_used_current() >> 20, " MiB held by selfstudy)");
    if (r != CUDA_SUCCESS) fail("cuMemCreate failed (CUresult ", int(r), ")");
    if (v.map(d, v.page, 0, h, 0) != CUDA_SUCCESS) {
      (void)v.release(h);
      fail("cuMemMap failed for a ", v.page >> 20, " MiB heap page");
    }
    v.pages[a + done] = h;
    note_device_bytes(int64_t(v.page));
    if (v.set_access(d, v.page, &v.access, 1) != CUDA_SUCCESS) {
      done += v.page;  // undone with the others
      fail("cuMemSetAccess failed for a ", v.page >> 20, " MiB heap page");
    }
  }
}

void vm_unmap(void* addr, size_t bytes) {
  Vmm& v = vmm();
  if (!v.why_not.empty()) return;
  make_current(v);
  std::lock_guard<std::mutex> lock(v.mu);
  char* a = static_cast<char*>(addr);
  for (size_t off = 0; off < bytes; off += v.page) unmap_page(v, a + off);
}

}  // namespace ss::cuda
