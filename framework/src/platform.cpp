#include "ss/platform.h"

#include <unistd.h>

#include <cstdlib>

namespace ss {

void configure_process(char** argv) {
  if (std::getenv("SS_NO_REEXEC")) return;
  bool changed = false;
  if (!std::getenv("OPENBLAS_CORETYPE")) {
    __builtin_cpu_init();
    const char* core = __builtin_cpu_supports("avx512f") ? "SkylakeX"
                       : __builtin_cpu_supports("avx2")  ? "Haswell"
                                                         : nullptr;
    if (core) ::setenv("OPENBLAS_CORETYPE", core, 1), changed = true;
  }
  if (!std::getenv("GOMP_SPINCOUNT") && !std::getenv("OMP_WAIT_POLICY"))
    ::setenv("GOMP_SPINCOUNT", "1000", 1), changed = true;
  if (!changed) return;
  ::setenv("SS_NO_REEXEC", "1", 1);  // never loop
  ::execv("/proc/self/exe", argv);
  // exec failed (e.g. no /proc): carry on with the libraries' own defaults.
}

std::string source_dir() {
  const char* e = std::getenv("SS_SOURCE_DIR");
  return e && *e ? std::string(e) : std::string(SS_SOURCE_DIR);
}

}  // namespace ss
