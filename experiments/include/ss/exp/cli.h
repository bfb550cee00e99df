// Subcommand registration for the `selfstudy` CLI.
#pragma once
#include <CLI/CLI.hpp>

namespace ss::app {
void add_train_commands(CLI::App& app);  // train, eval
}
