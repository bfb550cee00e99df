// doctest main; selects OpenBLAS's AVX kernels first so tests run what users run.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "ss/platform.h"

int main(int argc, char** argv) {
  ss::configure_process(argv);
  return doctest::Context(argc, argv).run();
}
