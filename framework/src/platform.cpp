#include "ss/platform.h"

#include <unistd.h>

#include <cstdlib>

namespace ss {

void select_blas_kernels(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE") || std::getenv("SS_NO_BLAS_REEXEC")) return;
  const char* core = nullptr;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f"))
    core = "SkylakeX";
  else if (__builtin_cpu_supports("avx2"))
    core = "Haswell";
  if (!core) return;
  ::setenv("OPENBLAS_CORETYPE", core, 1);
  ::setenv("SS_NO_BLAS_REEXEC", "1", 1);  // never loop
  ::execv("/proc/self/exe", argv);
  // exec failed (e.g. no /proc): carry on with whatever OpenBLAS picked.
}

}  // namespace ss
