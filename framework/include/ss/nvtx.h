// NVTX ranges for Nsight Systems / Nsight Compute timelines. In a CUDA build they use the
// header-only NVTX3 of the CUDA toolkit (a push/pop costs a few ns when no profiler is
// attached); in a CPU-only build everything here is a no-op and SS_NVTX is 0, so callers
// can write `SS_NVTX ? expensive_name() : nullptr` and pay nothing.
#pragma once
#if defined(SS_WITH_CUDA) && __has_include(<nvtx3/nvToolsExt.h>)
#include <nvtx3/nvToolsExt.h>
#define SS_NVTX 1
#else
#define SS_NVTX 0
#endif

#include <cstdlib>
#include <cxxabi.h>
#include <string>
#include <typeinfo>
#include <unordered_map>

namespace ss::nvtx {

// Scoped range (push on construction, pop on destruction; a null name pushes nothing).
class Range {
 public:
  explicit Range(const char* name) : on_(SS_NVTX && name) {
#if SS_NVTX
    if (on_) nvtxRangePushA(name);
#endif
  }
  ~Range() {
#if SS_NVTX
    if (on_) nvtxRangePop();
#endif
  }
  Range(const Range&) = delete;
  Range& operator=(const Range&) = delete;

 private:
  bool on_;
};

// "ss::models::BasicBlock" -> "BasicBlock": the demangled type name without namespaces,
// computed once per type and thread; later calls are one hash lookup, no allocation
// (unordered_map nodes never move, so the returned pointer stays valid).
inline const char* type_name(const std::type_info& t) {
  thread_local std::unordered_map<const std::type_info*, std::string> names;
  std::string& slot = names[&t];
  if (slot.empty()) {
    int status = 0;
    char* d = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
    std::string s = status == 0 && d ? d : t.name();
    std::free(d);
    if (const auto colon = s.rfind("::"); colon != std::string::npos && s.find('<') == std::string::npos)
      s.erase(0, colon + 2);
    slot = std::move(s);
  }
  return slot.c_str();
}

}  // namespace ss::nvtx
