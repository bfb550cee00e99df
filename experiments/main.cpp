// `selfstudy`: one CLI for rendering, training, pretraining, studies and reports.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>

#include "ss/exp/cli.h"
#include "ss/exp/demo.h"
#include "ss/exp/pretrain.h"
#include "ss/exp/report.h"
#include "ss/exp/study.h"
#include "ss/platform.h"
#include "ss/render/cli.h"

int main(int argc, char** argv) {
  ss::configure_process(argv);
  CLI::App app{"selfstudy: how useful is self-supervised pretraining? (Newell & Deng, CVPR 2020)"};
  app.require_subcommand(1);
  ss::render::add_render_command(app);
  ss::app::add_pretrain_command(app);
  ss::app::add_train_commands(app);
  ss::app::add_study_command(app);
  ss::app::add_report_command(app);
  ss::app::add_demo_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "selfstudy: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
