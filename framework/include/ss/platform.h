// Process start-up tuning that must happen before libraries initialise.
#pragma once
#include <string>

namespace ss {
// The source tree (presets, test fixtures, benchmark scripts): $SS_SOURCE_DIR when set —
// binaries built on one machine and run from another checkout (the GPU bundle) — else the
// tree this build was configured from.
std::string source_dir();

// Sets library environment defaults that are read only when the libraries load, then
// re-executes the program once (only if something had to be set):
//  * OPENBLAS_CORETYPE: OpenBLAS 0.3.21 (Debian 12) does not recognise recent Xeons and
//    falls back to its SSE3 "Prescott" kernels, 4x slower than the AVX-512 ones.
//  * GOMP_SPINCOUNT=1000: libgomp's default spin-wait (300k iterations) makes every
//    OpenMP barrier burn the core when another process shares the 2 cores; measured 3x
//    slower training (126 vs 402 img/s) under load, no loss when idle.
// A user's own setting of either variable is always respected.
void configure_process(char** argv);
}  // namespace ss
