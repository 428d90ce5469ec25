// The `cuframe` program's option handling, apart from running anything: the words of the
// command line parsed once into the engine's typed options. Shared by the subcommands and
// by the option fuzzer (tests/fuzz/fuzz_options.cpp), which drives exactly this code.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "cuframe/decoder.hpp"
#include "cuframe/pipeline.hpp"

namespace cuframe::cli {

/// `--device auto|cpu|cuda|cuda:N`: the decode backend and the GPU ordinal (0 unless
/// cuda:N; N is 0..255, digits only). Errc::InvalidArgument with an empty subject (a
/// usage error, exit 2) for anything else.
struct DeviceChoice {
  Backend backend = Backend::Auto;
  int ordinal = 0;
  bool explicit_ordinal = false;  ///< cuda:N was given (not just auto or cuda)
};
DeviceChoice parse_device(const std::string& text);

/// The GPU a manifest's job `job` runs on: the given ordinal for cuda:N; else, with
/// `gpus` > 1 GPUs, job i on GPU i mod gpus (every GPU of the machine busy); else 0.
int device_for_job(const DeviceChoice& choice, std::size_t job, int gpus);

/// A bit rate like 5M, 800k, 2.5M or 1500000, in bits per second. Errc::InvalidArgument
/// (usage error) naming `option` for anything that is not a positive finite rate.
int64_t parse_rate(const std::string& text, const char* option);

/// `--shard I/N`, or `--shard N` with I from the environment (Note [Manifest shards] in
/// shard_record.hpp): this run takes the manifest's jobs whose position is I mod N.
struct ShardChoice {
  int index = 0;
  int count = 1;
  std::string source;  ///< where the index came from: empty for I/N, else the variable(s)
};

/// How parse_shard reads the environment (std::getenv in the program; a map in the tests).
using EnvLookup = std::function<const char*(const char*)>;

/// The words of --shard. `I/N` needs 0 <= I < N, both decimal digits only (at most 9);
/// anything else is a usage error (Errc::InvalidArgument, empty subject: exit 2). `N`
/// alone takes I from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or else from
/// SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN (a Slurm job array: both must be set).
/// Neither set, or a value that is not an index in 0..N-1, is Errc::InvalidArgument with
/// subject "--shard" (exit 1: the command is right, its environment is not), naming the
/// variables and the value.
ShardChoice parse_shard(const std::string& text, const EnvLookup& env);

/// Everything `cuframe transcode` takes, as words.
struct TranscodeArgs {
  std::string in, out;
  std::string codec = "h264";
  std::string ops;
  int qp = -1;
  int crf = -1;
  std::string bitrate, maxrate;
  bool cbr = false;
  std::string preset, tune;
  int gop = -1;
  int bframes = -1;
  std::string device = "auto";
  std::string encoder = "auto";
  std::string mode = "stream";
  int chunk = 0;  // 0: the executor's default (Note [Stream memory])
  int sessions = 0;
  std::string format;
  bool no_audio = false;
  std::string manifest;
  int jobs = 1;
  std::string shard;  // "I/N" or "N"; empty: every job of the manifest
  std::string stats_json;
  std::string trace;
  int threads = 0;
};

/// Declares transcode's options on its subcommand, bound to `args`.
void add_transcode_options(CLI::App& sub, TranscodeArgs& args);

/// The engine's options for the words: parsed and checked here, once (cancel, progress
/// and notice are left for the caller). Usage errors: Errc::InvalidArgument, empty subject.
TranscodeOptions make_transcode_options(const TranscodeArgs& args);

}  // namespace cuframe::cli
