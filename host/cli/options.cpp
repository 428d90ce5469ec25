// The `cuframe` program's option handling (host/cli/options.hpp).
#include "options.hpp"

#include <cmath>
#include <cstdlib>

#include "cuframe/error.hpp"
#include "cuframe/muxer.hpp"
#include "cuframe/ops.hpp"

namespace cuframe::cli {

DeviceChoice parse_device(const std::string& d) {
  DeviceChoice c;
  if (d == "auto") return c;
  if (d == "cpu") {
    c.backend = Backend::Cpu;
    return c;
  }
  if (d == "cuda") {
    c.backend = Backend::Nvdec;
    return c;
  }
  if (d.size() > 5 && d.size() <= 8 && d.compare(0, 5, "cuda:") == 0 &&
      d.find_first_not_of("0123456789", 5) == std::string::npos) {
    const int n = std::atoi(d.c_str() + 5);  // 1 to 3 digits: no overflow
    if (n <= 255) {
      c.backend = Backend::Nvdec;
      c.ordinal = n;
      c.explicit_ordinal = true;
      return c;
    }
  }
  throw Error(Errc::InvalidArgument, "", "--device must be auto, cpu, cuda or cuda:N with N in 0..255 (got '" + d + "')");
}

int device_for_job(const DeviceChoice& choice, std::size_t job, int gpus) {
  if (choice.explicit_ordinal || choice.backend == Backend::Cpu || gpus <= 1) return choice.ordinal;
  return static_cast<int>(job % static_cast<std::size_t>(gpus));
}

namespace {

// 1 to 9 decimal digits (no sign, no spaces: no overflow), else -1.
int parse_small_count(const std::string& s) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::atoi(s.c_str());
}

}  // namespace

ShardChoice parse_shard(const std::string& text, const EnvLookup& env) {
  const std::size_t slash = text.find('/');
  const bool explicit_index = slash != std::string::npos;
  const int count = parse_small_count(explicit_index ? text.substr(slash + 1) : text);
  const int index = explicit_index ? parse_small_count(text.substr(0, slash)) : 0;
  if (count < 1 || index < 0 || index >= count)
    throw Error(Errc::InvalidArgument, "",
                "--shard must be I/N with 0 <= I < N, or N with I from the environment (got '" + text + "')");
  ShardChoice c;
  c.count = count;
  if (explicit_index) {
    c.index = index;
    return c;
  }
  const std::string range = "0.." + std::to_string(count - 1);
  if (const char* k = env("JOB_COMPLETION_INDEX")) {
    c.index = parse_small_count(k);
    if (c.index < 0 || c.index >= count)
      throw Error(Errc::InvalidArgument, "--shard",
                  "JOB_COMPLETION_INDEX='" + std::string(k) + "' is not a shard index in " + range + " (--shard " + text + ")");
    c.source = "JOB_COMPLETION_INDEX";
    return c;
  }
  const char* id = env("SLURM_ARRAY_TASK_ID");
  const char* min = env("SLURM_ARRAY_TASK_MIN");
  if (!id)  // a usage error (exit code 2): the command cannot work in this environment
    throw Error(Errc::InvalidArgument, "",
                "--shard: --shard " + text + " takes the shard's index from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) or " +
                    "SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN (a Slurm job array), and neither is set: give --shard I/" +
                    text + " outside those");
  if (!min)
    throw Error(Errc::InvalidArgument, "--shard",
                "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_MIN is not: both are needed for the shard's index");
  const int task = parse_small_count(id), first = parse_small_count(min);
  if (task < 0 || first < 0 || task - first < 0 || task - first >= count)
    throw Error(Errc::InvalidArgument, "--shard",
                "SLURM_ARRAY_TASK_ID='" + std::string(id) + "' - SLURM_ARRAY_TASK_MIN='" + std::string(min) +
                    "' is not a shard index in " + range + " (--shard " + text + "; run the array as --array=0-" +
                    std::to_string(count - 1) + ")");
  c.index = task - first;
  c.source = "SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN";
  return c;
}

int64_t parse_rate(const std::string& s, const char* option) {
  if (s.empty()) return 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  double scale = 1;
  const std::string unit = end ? std::string(end) : "";
  if (unit == "k" || unit == "K") scale = 1e3;
  else if (unit == "M" || unit == "m") scale = 1e6;
  else if (unit == "G" || unit == "g") scale = 1e9;
  else if (!unit.empty()) scale = -1;
  if (end == s.c_str() || scale < 0 || !(v > 0) || !std::isfinite(v))
    throw Error(Errc::InvalidArgument, "", std::string(option) + " must be a positive rate like 5M or 800k (got '" + s + "')");
  const double bits = v * scale;
  if (bits > 9e15) throw Error(Errc::InvalidArgument, "", std::string(option) + " is absurdly large ('" + s + "')");
  return static_cast<int64_t>(bits);
}

void add_transcode_options(CLI::App& sub, TranscodeArgs& a) {
  sub.add_option("IN", a.in, "Input file, or - for stdin");
  sub.add_option("OUT", a.out, "Output file, or - for stdout (needs --format)");
  sub.add_option("--codec", a.codec, "h264|hevc|av1")->check(CLI::IsMember({"h264", "hevc", "av1"}));
  sub.add_option("--ops", a.ops, "Comma list: resize=WxH, crop=X:Y:W:H, gray, blur=S, flip=h|v, rotate=D, brightness=B, contrast=C");
  sub.add_option("--qp", a.qp, "Constant quantiser")->check(CLI::Range(0, 63));
  sub.add_option("--crf", a.crf, "Constant quality (crf for x264/x265/SVT-AV1, cq for NVENC)")->check(CLI::Range(0, 63));
  sub.add_option("--bitrate", a.bitrate, "Target bitrate, e.g. 5M (VBR; CBR with --cbr)");
  sub.add_option("--maxrate", a.maxrate, "Maximum bitrate for VBR, e.g. 8M");
  sub.add_flag("--cbr", a.cbr, "Constant bitrate (with --bitrate)");
  sub.add_option("--preset", a.preset, "Encoder preset (x264/x265: ultrafast..placebo; NVENC: p1..p7; SVT-AV1: 0..13)");
  sub.add_option("--tune", a.tune, "Encoder tune (x264/x265 tunes; NVENC: hq, ll, ull, lossless)");
  sub.add_option("--gop", a.gop, "Keyframe interval in frames")->check(CLI::Range(0, 100000));
  sub.add_option("--bframes", a.bframes, "B-frames (0 disables)")->check(CLI::Range(0, 16));
  sub.add_option("--device", a.device, "auto|cpu|cuda[:N]");
  sub.add_option("--encoder", a.encoder, "auto|cpu|nvenc (auto: NVENC when the GPU has it, else libavcodec)")
      ->check(CLI::IsMember({"auto", "cpu", "nvenc"}));
  sub.add_option("--mode", a.mode, "stream (bounded memory), resident (whole video in memory), live (frame by frame)")
      ->check(CLI::IsMember({"stream", "resident", "live"}));
  sub.add_option("--chunk", a.chunk, "Frames per chunk (stream mode; default 32 on the GPU, 8 on the CPU)")->check(CLI::Range(1, 4096));
  sub.add_option("--sessions", a.sessions,
                 "Resident mode: decode sessions on keyframe-aligned segments at once (0: one per NVDEC engine)")
      ->check(CLI::Range(0, 64));
  sub.add_option("--format", a.format, "mp4|mkv|ts|h264|hevc (default: from OUT's extension)")
      ->check(CLI::IsMember({"mp4", "mkv", "ts", "h264", "hevc"}));
  sub.add_flag("--no-audio", a.no_audio, "Do not copy the audio streams");
  sub.add_option("--threads", a.threads, "Decoder/encoder threads for libavcodec (0: automatic)")->check(CLI::Range(0, 256));
  sub.add_option("--manifest", a.manifest, "File of jobs, one 'INPUT<TAB>OUTPUT' per line (instead of IN OUT)");
  sub.add_option("--jobs", a.jobs, "Jobs of the manifest run at once")->check(CLI::Range(1, 64));
  sub.add_option("--shard", a.shard,
                 "I/N: only the manifest's jobs at positions = I mod N, recorded in JOBS.shard-I-of-N.jsonl and "
                 "skipped when rerun once done; N: I from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID");
  sub.add_option("--stats-json", a.stats_json, "Write timings, memory peaks and latency as JSON to this file");
  sub.add_option("--trace", a.trace, "Write a per-chunk timeline of the stages (Chrome trace JSON) to this file");
}

TranscodeOptions make_transcode_options(const TranscodeArgs& a) {
  TranscodeOptions o;
  o.ops = parse_ops(a.ops);
  o.mode = a.mode == "resident" ? PipelineMode::Resident : a.mode == "live" ? PipelineMode::Live : PipelineMode::Stream;
  o.chunk = a.chunk;
  o.decode_sessions = a.sessions;
  if (a.sessions > 0 && o.mode != PipelineMode::Resident)
    throw Error(Errc::InvalidArgument, "", "--sessions splits the input for resident mode: add --mode resident");
  const DeviceChoice device = parse_device(a.device);
  o.decode.backend = device.backend;
  o.decode.device = device.ordinal;
  o.decode.threads = a.threads;
  EncodeOptions& e = o.encode;
  e.codec = a.codec == "hevc" ? Codec::HEVC : a.codec == "av1" ? Codec::AV1 : Codec::H264;
  e.device = device.ordinal;
  e.backend = a.encoder == "cpu" ? EncoderBackend::Cpu : a.encoder == "nvenc" ? EncoderBackend::Nvenc : EncoderBackend::Auto;
  // --device cpu keeps everything on the CPU, the encoder included.
  if (a.device == "cpu" && a.encoder == "auto") e.backend = EncoderBackend::Cpu;
  const int modes = (a.qp >= 0) + (a.crf >= 0) + (!a.bitrate.empty());
  if (modes > 1) throw Error(Errc::InvalidArgument, "", "--qp, --crf and --bitrate are alternatives: give one");
  if (a.cbr && a.bitrate.empty()) throw Error(Errc::InvalidArgument, "", "--cbr needs --bitrate");
  if (!a.maxrate.empty() && a.bitrate.empty()) throw Error(Errc::InvalidArgument, "", "--maxrate needs --bitrate");
  if (a.qp >= 0) {
    e.rate_control = RateControl::ConstQp;
    e.qp = a.qp;
  } else if (a.crf >= 0) {
    e.rate_control = RateControl::Crf;
    e.quality = a.crf;
  } else if (!a.bitrate.empty()) {
    e.rate_control = a.cbr ? RateControl::Cbr : RateControl::Vbr;
    e.bitrate = parse_rate(a.bitrate, "--bitrate");
    e.max_bitrate = parse_rate(a.maxrate, "--maxrate");
  }
  e.preset = a.preset;
  e.tune = a.tune;
  e.gop = a.gop;
  e.b_frames = a.bframes;
  e.threads = a.threads;
  if (!a.format.empty()) o.mux.format = parse_container(a.format);
  o.copy_audio = !a.no_audio;
  o.trace = !a.trace.empty();
  return o;
}

}  // namespace cuframe::cli
