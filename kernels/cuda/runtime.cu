// Device discovery, memory, copies and the per-process stream/handles (runtime.h and
// context.h).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "context.h"

namespace ss::cuda {
namespace {

struct Probe {
  int count = 0;
  std::string reason;
};

// Probed once: cudaGetDeviceCount is the first call that loads the driver, and its failure
// (no libcuda, no device, driver too old) is a normal CPU-only situation, not an error.
const Probe& probe() {
  static const Probe p = [] {
    Probe r;
    int n = 0;
    const cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
      (void)cudaGetLastError();
      r.reason = std::string("cudaGetDeviceCount failed: ") + cudaGetErrorName(e) + " (" +
                 cudaGetErrorString(e) + ")";
      if (e == cudaErrorInsufficientDriver)
        r.reason += "; no usable NVIDIA driver (libcuda.so missing or older than the runtime)";
      return r;
    }
    if (n == 0) {
      r.reason = "no CUDA device is visible";
      if (const char* v = std::getenv("CUDA_VISIBLE_DEVICES"))
        r.reason += std::string(" (CUDA_VISIBLE_DEVICES=") + v + ")";
      return r;
    }
    r.count = n;
    return r;
  }();
  return p;
}

// Never destroyed: tearing down handles and streams from static destructors races the
// CUDA runtime's own shutdown at exit, and the driver reclaims everything anyway.
struct Context {
  std::once_flag stream_once;
  cudaStream_t stream = nullptr;
  std::mutex mu;  // handles, workspace, math flags
  cublasHandle_t cublas = nullptr;
  cudnnHandle_t cudnn = nullptr;
  void* ws = nullptr;
  size_t ws_bytes = 0;
  std::vector<void*> retired_ws;  // outgrown workspaces that a live CUDA graph may still use
  bool tf32 = false;
  bool deterministic = true;
  bool conv_benchmark = false;
  std::mutex alloc_mu;  // allocation table and counters
  std::unordered_map<void*, size_t> sizes;
  size_t used = 0, peak = 0;
};
Context& ctx() {
  static Context* c = new Context;
  return *c;
}

// Set by the framework's CUDA caching allocator (framework/src/allocator.cpp): returns its
// cached, unused blocks to the driver, so workspace() can retry an allocation that failed
// only because that cache holds the memory.
std::atomic<void (*)()> g_release_cached{nullptr};

double mib(size_t b) { return double(b) / (1024.0 * 1024.0); }

std::string fmt_mib(size_t b) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(1);
  os << mib(b);
  return os.str();
}

}  // namespace

bool compiled() { return true; }

int device_count() { return probe().count; }

std::string unavailable_reason() { return probe().reason; }

std::string device_name(int dev) {
  if (device_count() == 0) return "none";
  SS_CHECK(dev >= 0 && dev < device_count(), "CUDA device ", dev, " out of range (",
           device_count(), " visible)");
  cudaDeviceProp prop{};
  CUDA_CHECK(cudaGetDeviceProperties(&prop, dev));
  return prop.name;
}

cudaStream_t stream() {
  Context& c = ctx();
  std::call_once(c.stream_once, [&] {
    if (device_count() == 0) SS_FAIL("no CUDA device: ", unavailable_reason());
    // A blocking stream (not cudaStreamNonBlocking) still orders against the legacy
    // default stream, so code elsewhere that launches on stream 0 cannot race ours.
    CUDA_CHECK(cudaStreamCreateWithFlags(&c.stream, cudaStreamDefault));
  });
  return c.stream;
}

cublasHandle_t cublas() {
  cudaStream_t s = stream();
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.mu);
  if (!c.cublas) {
    CUBLAS_CHECK(cublasCreate(&c.cublas));
    CUBLAS_CHECK(cublasSetStream(c.cublas, s));
    CUBLAS_CHECK(cublasSetMathMode(c.cublas, c.tf32 ? CUBLAS_TF32_TENSOR_OP_MATH
                                                    : CUBLAS_DEFAULT_MATH));
  }
  return c.cublas;
}

cudnnHandle_t cudnn() {
  cudaStream_t s = stream();
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.mu);
  if (!c.cudnn) {
    CUDNN_CHECK(cudnnCreate(&c.cudnn));
    CUDNN_CHECK(cudnnSetStream(c.cudnn, s));
  }
  return c.cudnn;
}

void set_allow_tf32(bool on) {
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.mu);
  c.tf32 = on;
  if (c.cublas)
    CUBLAS_CHECK(cublasSetMathMode(c.cublas, on ? CUBLAS_TF32_TENSOR_OP_MATH
                                                : CUBLAS_DEFAULT_MATH));
}
bool allow_tf32() {
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.tf32;
}
void set_deterministic(bool on) {
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.mu);
  c.deterministic = on;
}
bool deterministic() {
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.deterministic;
}
void set_conv_benchmark(bool on) {
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.mu);
  c.conv_benchmark = on;
}
bool conv_benchmark() {
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.mu);
  return c.conv_benchmark;
}

size_t device_memory_total() {
  if (device_count() == 0) return 0;
  stream();  // selects the device
  size_t free_b = 0, total_b = 0;
  CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return total_b;
}

void* malloc_device(size_t bytes) {
  if (bytes == 0) return nullptr;
  stream();  // fails with a clear message when there is no device
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    // Not sticky: clear it so a caching allocator can free its cache and retry.
    (void)cudaGetLastError();
    size_t free_b = 0, total_b = 0;
    (void)cudaMemGetInfo(&free_b, &total_b);
    SS_FAIL("CUDA out of memory allocating ", fmt_mib(bytes), " MiB (", fmt_mib(mem_used_current()),
            " MiB held by selfstudy, ", fmt_mib(free_b), " MiB free of ", fmt_mib(total_b),
            " MiB)");
  }
  if (e != cudaSuccess) detail::throw_cuda(e, "cudaMalloc", __FILE__, __LINE__);
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.alloc_mu);
  c.sizes[p] = bytes;
  c.used += bytes;
  c.peak = std::max(c.peak, c.used);
  return p;
}

// No throw: this runs from Storage destructors.
void free_device(void* p) {
  if (!p) return;
  Context& c = ctx();
  {
    std::lock_guard<std::mutex> lock(c.alloc_mu);
    auto it = c.sizes.find(p);
    if (it != c.sizes.end()) {
      c.used -= it->second;
      c.sizes.erase(it);
    }
  }
  CUDA_CHECK_PRINT(cudaFree(p));
}

size_t mem_used_peak() {
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.alloc_mu);
  return c.peak;
}
size_t mem_used_current() {
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.alloc_mu);
  return c.used;
}
void note_device_bytes(int64_t delta) {
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.alloc_mu);
  c.used = size_t(int64_t(c.used) + delta);
  c.peak = std::max(c.peak, c.used);
}
void reset_mem_peak() {
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.alloc_mu);
  c.peak = c.used;
}

void set_release_cached_hook(void (*fn)()) { g_release_cached.store(fn); }

namespace {
struct Graphs {
  std::mutex mu;
  std::vector<cudaGraphExec_t> exec;  // index = handle; null once destroyed
  int alive = 0;
};
Graphs& graphs() {
  static Graphs* g = new Graphs;
  return *g;
}
bool graphs_alive() {
  Graphs& g = graphs();
  std::lock_guard<std::mutex> lock(g.mu);
  return g.alive > 0;
}
}  // namespace

void* workspace(size_t bytes) {
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.mu);
  if (bytes > c.ws_bytes) {
    SS_CHECK(!capturing(), "the kernel workspace would grow from ", c.ws_bytes, " to ", bytes,
             " bytes during CUDA graph capture: run the step once eagerly before capturing it");
    // Kernels queued earlier may still use the old block; cudaFree only "may" synchronise.
    // A captured graph keeps the old block's address in its nodes: it is kept until the
    // last graph is destroyed.
    if (c.ws) {
      CUDA_CHECK(cudaStreamSynchronize(stream()));
      if (graphs_alive())
        c.retired_ws.push_back(c.ws);
      else
        free_device(c.ws);
    }
    c.ws = nullptr;
    c.ws_bytes = 0;
    // Round up to whole MiB so a slowly growing demand does not reallocate every call.
    const size_t mb = size_t(1) << 20;
    const size_t want = (bytes + mb - 1) / mb * mb;
    try {
      c.ws = malloc_device(want);
    } catch (const Error&) {
      void (*release)() = g_release_cached.load();
      if (!release) throw;
      release();  // the tensor cache may hold the memory: hand it back and retry once
      c.ws = malloc_device(want);
    }
    c.ws_bytes = want;
  }
  return c.ws;
}

namespace {
// N page-locked host slots of B bytes, one event each (when the slot's last copy is done);
// shared by the upload ring and the read-backs. Allocated on first use, under mu.
template <int N, size_t B>
struct PinnedSlots {
  static constexpr int kSlots = N;
  static constexpr size_t kBytes = B;
  std::mutex mu;
  char* host = nullptr;
  cudaEvent_t done[N] = {};
  // false when the page-locked allocation fails (the error is cleared)
  bool allocate() {
    if (host) return true;
    void* p = nullptr;
    if (cudaHostAlloc(&p, B * N, cudaHostAllocDefault) != cudaSuccess) {
      (void)cudaGetLastError();
      return false;
    }
    host = static_cast<char*>(p);
    for (auto& e : done) CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    return true;
  }
  char* slot(int i) const { return host + size_t(i) * B; }
};

// Small uploads (labels, sampled indices, scalars: several per pretext step) go through a
// ring of page-locked slots so they return without draining the stream: the bytes are
// copied into a slot on the host, the DMA is queued behind the work already on the
// stream, and an event marks when the slot may be written again (waited for only when the
// ring comes round to it). Larger uploads (weights, tests) stay synchronous.
// SS_CUDA_SYNC_H2D=1 turns the ring off (every upload waits), for debugging.
struct Staging : PinnedSlots<16, size_t(256) << 10> {
  int next = 0;
  bool off = false;  // disabled, or the page-locked allocation failed
  bool ready = false;
};
Staging& staging() {
  static Staging* st = new Staging;  // never destroyed, as the Context
  return *st;
}

bool staged_h2d(void* dst, const void* src, size_t bytes) {
  if (bytes > Staging::kBytes) return false;
  Staging& st = staging();
  std::lock_guard<std::mutex> lock(st.mu);
  if (!st.ready) {
    st.ready = true;
    st.off = env_flag("SS_CUDA_SYNC_H2D") || !st.allocate();
  }
  if (st.off) return false;
  const int i = st.next;
  st.next = (i + 1) % Staging::kSlots;
  // Returns at once for an event never recorded; otherwise this slot's previous DMA.
  CUDA_CHECK(cudaEventSynchronize(st.done[i]));
  char* slot = st.slot(i);
  std::memcpy(slot, src, bytes);
  cudaStream_t s = stream();
  CUDA_CHECK(cudaMemcpyAsync(dst, slot, bytes, cudaMemcpyHostToDevice, s));
  CUDA_CHECK(cudaEventRecord(st.done[i], s));
  return true;
}
}  // namespace

// Returns once src may be reused: small copies were taken into the staging ring, larger
// ones are waited for (the driver only promises that pageable sources "may" be staged
// during the call, and page-locked ones are read later by DMA).
void memcpy_h2d(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  SS_CHECK(!capturing(), "host-to-device copy of ", bytes, " bytes during CUDA graph capture: "
           "stage inputs before capturing the step");
  if (staged_h2d(dst, src, bytes)) return;
  cudaStream_t s = stream();
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
}

void memcpy_d2h(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  SS_CHECK(!capturing(), "device-to-host read of ", bytes, " bytes during CUDA graph capture: "
           "read results after the captured step");
  cudaStream_t s = stream();
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(cudaStreamSynchronize(s));
}

namespace {
struct Readbacks : PinnedSlots<8, size_t(64) << 10> {
  size_t bytes[kSlots] = {};
  bool busy[kSlots] = {};
};
Readbacks& readbacks() {
  static Readbacks* r = new Readbacks;  // never destroyed, as the Context
  return *r;
}
}  // namespace

int readback_start(const void* src, size_t bytes) {
  SS_CHECK(bytes <= Readbacks::kBytes, "readback_start: ", bytes, " bytes (at most ", Readbacks::kBytes, ")");
  SS_CHECK(!capturing(), "device-to-host read of ", bytes, " bytes during CUDA graph capture: "
           "read results after the captured step");
  Readbacks& r = readbacks();
  std::lock_guard<std::mutex> lock(r.mu);
  SS_CHECK(r.allocate(), "readback_start: page-locked allocation of ",
           Readbacks::kBytes * Readbacks::kSlots, " bytes failed");
  int i = 0;
  while (i < Readbacks::kSlots && r.busy[i]) ++i;
  SS_CHECK(i < Readbacks::kSlots, "readback_start: ", Readbacks::kSlots, " read-backs already pending");
  cudaStream_t s = stream();
  if (bytes) CUDA_CHECK(cudaMemcpyAsync(r.slot(i), src, bytes, cudaMemcpyDeviceToHost, s));
  CUDA_CHECK(cudaEventRecord(r.done[i], s));
  r.busy[i] = true;
  r.bytes[i] = bytes;
  return i;
}

void readback_finish(int ticket, void* dst) {
  Readbacks& r = readbacks();
  cudaEvent_t e;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    SS_CHECK(ticket >= 0 && ticket < Readbacks::kSlots && r.busy[ticket], "readback_finish: no pending read-back ", ticket);
    e = r.done[ticket];
  }
  const cudaError_t err = cudaEventSynchronize(e);
  std::lock_guard<std::mutex> lock(r.mu);
  if (err == cudaSuccess && dst && r.bytes[ticket])
    std::memcpy(dst, r.slot(ticket), r.bytes[ticket]);
  r.busy[ticket] = false;
  CUDA_CHECK(err);
}

void memcpy_d2d(void* dst, const void* src, size_t bytes) {
  if (bytes == 0) return;
  CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream()));
}

void memset_zero(void* p, size_t bytes) {
  if (bytes == 0) return;
  CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, stream()));
}

void synchronize() {
  if (device_count() == 0) return;
  SS_CHECK(!capturing(), "synchronize() during CUDA graph capture (a host read of device "
           "data inside the captured step?)");
  CUDA_CHECK(cudaStreamSynchronize(stream()));
}


int sm_count() {
  static const int sms = [] {
    int dev = 0, n = 0;
    CUDA_CHECK(cudaGetDevice(&dev));
    CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, dev));
    return std::max(1, n);
  }();
  return sms;
}

unsigned resident_grid(const void* kernel) {
  int per_sm = 0;
  CUDA_CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, kThreads, 0));
  return unsigned(std::max(1, sm_count() * per_sm));
}

bool capturing() {
  if (device_count() == 0) return false;
  cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
  CUDA_CHECK(cudaStreamIsCapturing(stream(), &st));
  return st == cudaStreamCaptureStatusActive;
}

// Relaxed mode: the caching allocator may still cudaMalloc a new block mid-capture (its
// blocks outlive the graph's replays, see CachingAllocator::begin_private_pool).
void graph_begin_capture() {
  SS_CHECK(!capturing(), "graph_begin_capture: a capture is already running");
  CUDA_CHECK(cudaStreamBeginCapture(stream(), cudaStreamCaptureModeRelaxed));
}

int graph_end_capture() {
  cudaGraph_t graph = nullptr;
  CUDA_CHECK(cudaStreamEndCapture(stream(), &graph));
  cudaGraphExec_t exec = nullptr;
  const cudaError_t e = cudaGraphInstantiate(&exec, graph, 0);
  CUDA_CHECK_PRINT(cudaGraphDestroy(graph));
  CUDA_CHECK(e);
  Graphs& g = graphs();
  std::lock_guard<std::mutex> lock(g.mu);
  g.exec.push_back(exec);
  ++g.alive;
  return int(g.exec.size()) - 1;
}

void graph_launch(int handle) {
  Graphs& g = graphs();
  cudaGraphExec_t exec = nullptr;
  {
    std::lock_guard<std::mutex> lock(g.mu);
    SS_CHECK(handle >= 0 && handle < int(g.exec.size()) && g.exec[size_t(handle)],
             "graph_launch: no graph ", handle);
    exec = g.exec[size_t(handle)];
  }
  CUDA_CHECK(cudaGraphLaunch(exec, stream()));
}

void graph_destroy(int handle) {
  Graphs& g = graphs();
  bool last = false;
  {
    std::lock_guard<std::mutex> lock(g.mu);
    if (handle < 0 || handle >= int(g.exec.size()) || !g.exec[size_t(handle)]) return;
    CUDA_CHECK_PRINT(cudaGraphExecDestroy(g.exec[size_t(handle)]));
    g.exec[size_t(handle)] = nullptr;
    last = --g.alive == 0;
  }
  if (!last) return;
  Context& c = ctx();
  std::lock_guard<std::mutex> lock(c.mu);
  if (c.retired_ws.empty()) return;
  CUDA_CHECK_PRINT(cudaStreamSynchronize(stream()));  // replays queued earlier may use them
  for (void* p : c.retired_ws) free_device(p);
  c.retired_ws.clear();
}

}  // namespace ss::cuda
