# Engine benchmarks (included by benchmarks/CMakeLists.txt). See benchmarks/README.md.
ss_add_bench(bench_ops SOURCES bench_ops.cpp LIBS ss_framework CLI11::CLI11
             nlohmann_json::nlohmann_json)
# torch_ops.py is found next to this file unless --torch-script says otherwise.
target_compile_definitions(bench_ops PRIVATE SS_BENCH_DIR="${CMAKE_CURRENT_SOURCE_DIR}")

# Smoke test: the whole table at a tiny batch, no PyTorch, one timed iteration.
add_test(NAME bench_ops_smoke COMMAND bench_ops --quick --torch none --iters 1)
set_tests_properties(bench_ops_smoke PROPERTIES LABELS "bench" TIMEOUT 120)
