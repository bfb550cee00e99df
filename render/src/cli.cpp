// Placeholder until the renderer lands: the command exists and says so.
#include "ss/render/cli.h"

#include "ss/kernels/error.h"

namespace ss::render {
void add_render_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("render", "Render the procedural synthetic datasets to HDF5");
  cmd->callback([] { SS_FAIL("render: not implemented yet"); });
}
}  // namespace ss::render
