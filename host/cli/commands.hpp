// The `cuframe` program's subcommands. Each registers its options on the app and returns
// the function that runs it (returns the exit code; throws cuframe::Error).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace cuframe::cli {

using Runner = std::function<int()>;

Runner add_probe(CLI::App& app);
Runner add_devices(CLI::App& app);
Runner add_decode(CLI::App& app);
Runner add_transcode(CLI::App& app);
Runner add_bench(CLI::App& app);

}  // namespace cuframe::cli
