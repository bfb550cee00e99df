// Process start-up tuning that must happen before libraries initialise.
#pragma once

namespace ss {
// OpenBLAS 0.3.21 (Debian 12) does not recognise recent Xeons and falls back to its SSE3
// "Prescott" kernels, 4x slower than the AVX-512 ones. When OPENBLAS_CORETYPE is unset and
// the CPU has AVX-512 (or AVX2), set it and re-execute the program once, because OpenBLAS
// reads it only when it is loaded. A user's own OPENBLAS_CORETYPE is always respected.
void select_blas_kernels(char** argv);
}  // namespace ss
