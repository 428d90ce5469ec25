// cuframe_bench: Google Benchmark main. Data folder: CUFRAME_TEST_DATA or the source tree's.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
