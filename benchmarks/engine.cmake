# Engine benchmarks (included by benchmarks/CMakeLists.txt). See benchmarks/README.md.
ss_add_bench(bench_ops SOURCES bench_ops.cpp LIBS ss_framework CLI11::CLI11
             nlohmann_json::nlohmann_json)
# The PyTorch twins (torch_*.py) are found under ss::source_dir() (SS_SOURCE_DIR overrides).

# Smoke test: the whole table at a tiny batch, no PyTorch, one timed iteration.
add_test(NAME bench_ops_smoke COMMAND bench_ops --quick --torch none --iters 1)
set_tests_properties(bench_ops_smoke PROPERTIES LABELS "bench" TIMEOUT 120)

# Training-step throughput, ours vs PyTorch (torch_train.py) in the same run.
ss_add_bench(bench_train SOURCES bench_train.cpp LIBS ss_models CLI11::CLI11 nlohmann_json::nlohmann_json OpenMP::OpenMP_CXX)
add_test(NAME bench_train_smoke COMMAND bench_train --case resnet9:32:4:0.125 --iters 1 --warmup 0 --torch none)
set_tests_properties(bench_train_smoke PROPERTIES LABELS "bench" TIMEOUT 120)

# Pretext-step throughput per method, ours vs PyTorch (torch_pretrain.py) in the same run.
ss_add_bench(bench_pretrain SOURCES bench_pretrain.cpp LIBS ss_pretext CLI11::CLI11 nlohmann_json::nlohmann_json OpenMP::OpenMP_CXX)
add_test(NAME bench_pretrain_smoke COMMAND bench_pretrain --res 32 --batch 8 --width 0.0625 --iters 1 --warmup 0 --torch none)
set_tests_properties(bench_pretrain_smoke PROPERTIES LABELS "bench" TIMEOUT 120)

# The caching allocator's backings side by side on a training-step allocation pattern.
ss_add_bench(bench_alloc SOURCES bench_alloc.cpp LIBS ss_framework CLI11::CLI11 nlohmann_json::nlohmann_json)
add_test(NAME bench_alloc_smoke COMMAND bench_alloc --batch 2 --steps 2)
set_tests_properties(bench_alloc_smoke PROPERTIES LABELS "bench" TIMEOUT 60)
