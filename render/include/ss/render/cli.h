// `selfstudy render ...` subcommand registration.
#pragma once
#include <CLI/CLI.hpp>

namespace ss::render {
void add_render_command(CLI::App& app);
}
