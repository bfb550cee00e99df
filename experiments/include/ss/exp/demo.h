// `selfstudy demo`: a small end-to-end training run that learns something real, used as
// the main job until the full study exists. It draws its own data (procedural 2-D shapes
// in random colours, sizes and positions with noise), trains a small CNN with Adam and the
// study's warm-up/decay schedule, and reports loss and held-out accuracy.
#pragma once
#include <CLI/CLI.hpp>

namespace ss::app {
void add_demo_command(CLI::App& app);
}
