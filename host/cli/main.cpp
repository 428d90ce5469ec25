// cuframe — command-line front end. Exit codes: 0 success, 1 error (last stderr line is
// "cuframe: error: <subject>: <reason>"), 2 usage error, 130 interrupted.
#include <cstdio>
#include <exception>
#include <map>

#include "commands.hpp"
#include "cuframe/cuframe.hpp"
#include "cuframe/kernels/cpu.hpp"

int main(int argc, char** argv) {
  CLI::App app{"cuframe: GPU-resident video engine (NVDEC -> CUDA kernels -> NVENC)", "cuframe"};
  app.require_subcommand(1);
  bool verbose = false;
  app.add_flag("--verbose,-v", verbose, "Log what the engine does, and FFmpeg's own messages");
  app.set_version_flag("--version", [] {
    // simd: the CPU executor's Highway target on this CPU (Note [CPU rows in Highway])
    return std::string("cuframe ") + cuframe::version() + "\n" + cuframe::build_info() + "\nsimd: " +
           cuframe::kernels::cpu_simd_target();
  });

  std::map<const CLI::App*, cuframe::cli::Runner> runners;
  auto remember = [&](cuframe::cli::Runner r) { runners[app.get_subcommands({}).back()] = std::move(r); };
  remember(cuframe::cli::add_probe(app));
  remember(cuframe::cli::add_decode(app));
  remember(cuframe::cli::add_transcode(app));
  remember(cuframe::cli::add_bench(app));
  remember(cuframe::cli::add_devices(app));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }

  cuframe::set_verbosity(verbose ? cuframe::Verbosity::Info : cuframe::Verbosity::Errors);
  try {
    for (CLI::App* sub : app.get_subcommands()) return runners.at(sub)();
    return 2;
  } catch (const cuframe::Error& e) {
    std::fflush(stdout);
    if (e.code() == cuframe::Errc::InvalidArgument && e.subject().empty()) {
      std::fprintf(stderr, "cuframe: error: %s\n", e.what());
      return 2;
    }
    std::fprintf(stderr, "cuframe: error: %s\n", e.what());
    return e.code() == cuframe::Errc::Interrupted ? 130 : 1;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "cuframe: error: internal error: %s\n", e.what());
    return 1;
  }
}
