// cuframe transcode IN OUT [--codec ...] [--ops LIST] [--qp N | --crf N | --bitrate R] ...
//           or: cuframe transcode --manifest JOBS [--jobs N] ...
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "cuframe/cuframe.hpp"
#include "interrupt.hpp"
#include "progress.hpp"

namespace cuframe::cli {

namespace {

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
  int chunk = 32;
  std::string format;
  bool no_audio = false;
  std::string manifest;
  int jobs = 1;
  std::string stats_json;
  int threads = 0;
};

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

Backend parse_device(const std::string& d, int* ordinal) {
  *ordinal = 0;
  if (d == "auto") return Backend::Auto;
  if (d == "cpu") return Backend::Cpu;
  if (d == "cuda") return Backend::Nvdec;
  if (d.rfind("cuda:", 0) == 0) {
    try {
      *ordinal = std::stoi(d.substr(5));
    } catch (const std::exception&) {
      *ordinal = -1;
    }
    if (*ordinal >= 0) return Backend::Nvdec;
  }
  throw Error(Errc::InvalidArgument, "", "--device must be auto, cpu, cuda or cuda:N (got '" + d + "')");
}

TranscodeOptions make_options(const TranscodeArgs& a) {
  TranscodeOptions o;
  o.ops = parse_ops(a.ops);
  o.mode = a.mode == "resident" ? PipelineMode::Resident : a.mode == "live" ? PipelineMode::Live : PipelineMode::Stream;
  o.chunk = a.chunk;
  int ordinal = 0;
  o.decode.backend = parse_device(a.device, &ordinal);
  o.decode.device = ordinal;
  o.decode.threads = a.threads;
  EncodeOptions& e = o.encode;
  e.codec = a.codec == "hevc" ? Codec::HEVC : a.codec == "av1" ? Codec::AV1 : Codec::H264;
  e.device = ordinal;
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
  o.cancel = &interrupt_flag();
  o.notice = [](const std::string& s) { std::fprintf(stderr, "cuframe: %s\n", s.c_str()); };
  return o;
}

nlohmann::json stats_json(const std::string& in, const std::string& out, const TranscodeStats& s) {
  nlohmann::json j;
  j["input"] = in;
  j["output"] = out;
  j["frames"] = s.frames;
  j["seconds"] = s.seconds;
  j["fps"] = s.seconds > 0 ? static_cast<double>(s.frames) / s.seconds : 0.0;
  j["interrupted"] = s.interrupted;
  j["decoder"] = s.decoder;
  j["encoder"] = s.encoder;
  j["encoder_fallback"] = s.encoder_fallback;
  j["width"] = s.width;
  j["height"] = s.height;
  j["peak_host_bytes"] = s.peak_host_bytes;
  j["peak_device_bytes"] = s.peak_device_bytes;
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  j["max_rss_kb"] = ru.ru_maxrss;  // the whole process, so far
  for (const StageStats& st : s.stages) j["stages"].push_back({{"name", st.name}, {"busy_s", st.busy_s}, {"chunks", st.chunks}});
  if (!s.latency_ms.empty()) {
    std::vector<double> l = s.latency_ms;
    std::sort(l.begin(), l.end());
    j["latency_ms"] = {{"frames", l.size()},
                       {"median", l[l.size() / 2]},
                       {"p95", l[std::min(l.size() - 1, l.size() * 95 / 100)]},
                       {"max", l.back()}};
  }
  return j;
}

void summary(const std::string& in, const std::string& out, const TranscodeStats& s) {
  std::fprintf(stderr, "cuframe: %s -> %s: %lld frames %dx%d in %.2f s (%.1f fps); decoder %s; encoder %s\n", in.c_str(),
               out.c_str(), static_cast<long long>(s.frames), s.width, s.height, s.seconds,
               s.seconds > 0 ? static_cast<double>(s.frames) / s.seconds : 0.0, s.decoder.c_str(), s.encoder.c_str());
  if (!s.latency_ms.empty()) {
    std::vector<double> l = s.latency_ms;
    std::sort(l.begin(), l.end());
    std::fprintf(stderr, "cuframe: live latency per frame: median %.1f ms, p95 %.1f ms, max %.1f ms\n", l[l.size() / 2],
                 l[std::min(l.size() - 1, l.size() * 95 / 100)], l.back());
  }
}

InputSource input_of(const std::string& path) {
  return path == "-" ? InputSource::standard_input() : InputSource::file(path);
}

std::vector<std::pair<std::string, std::string>> read_manifest(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error(Errc::NotFound, path, "cannot open the manifest");
  std::vector<std::pair<std::string, std::string>> jobs;
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    std::string in, out;
    if (tab != std::string::npos) {
      in = line.substr(0, tab);
      out = line.substr(tab + 1);
    } else {
      std::istringstream words(line);
      words >> in >> out;
    }
    if (in.empty() || out.empty())
      throw Error(Errc::InvalidArgument, path, "line " + std::to_string(n) + ": expected 'INPUT<TAB>OUTPUT'");
    jobs.emplace_back(in, out);
  }
  if (jobs.empty()) throw Error(Errc::InvalidArgument, path, "the manifest lists no jobs");
  return jobs;
}

int run_manifest(const TranscodeArgs& a, const TranscodeOptions& o) {
  const auto jobs = read_manifest(a.manifest);
  std::mutex lock;
  size_t next = 0;
  int failed = 0;
  nlohmann::json all = nlohmann::json::array();
  auto worker = [&] {
    for (;;) {
      size_t i;
      {
        std::lock_guard<std::mutex> hold(lock);
        if (next >= jobs.size() || interrupted()) return;
        i = next++;
      }
      const auto& [in, out] = jobs[i];
      try {
        TranscodeStats s = transcode(input_of(in), out, o);
        std::lock_guard<std::mutex> hold(lock);
        summary(in, out, s);
        all.push_back(stats_json(in, out, s));
      } catch (const Error& e) {
        std::lock_guard<std::mutex> hold(lock);
        ++failed;
        std::fprintf(stderr, "cuframe: error: %s\n", e.what());
      }
    }
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < std::max(1, a.jobs); ++w) workers.emplace_back(worker);
  for (auto& t : workers) t.join();
  if (!a.stats_json.empty()) {
    std::ofstream f(a.stats_json);
    f << all.dump(2) << "\n";
  }
  if (interrupted()) return 130;
  if (failed) {
    std::fprintf(stderr, "cuframe: error: %s: %d of %zu jobs failed\n", a.manifest.c_str(), failed, jobs.size());
    return 1;
  }
  return 0;
}

}  // namespace

Runner add_transcode(CLI::App& app) {
  auto a = std::make_shared<TranscodeArgs>();
  CLI::App* sub = app.add_subcommand("transcode", "Decode, apply ops and encode a video (or a manifest of jobs)");
  sub->add_option("IN", a->in, "Input file, or - for stdin");
  sub->add_option("OUT", a->out, "Output file, or - for stdout (needs --format)");
  sub->add_option("--codec", a->codec, "h264|hevc|av1")->check(CLI::IsMember({"h264", "hevc", "av1"}));
  sub->add_option("--ops", a->ops, "Comma list: resize=WxH, crop=X:Y:W:H, gray, blur=S, flip=h|v, rotate=D, brightness=B, contrast=C");
  sub->add_option("--qp", a->qp, "Constant quantiser")->check(CLI::Range(0, 63));
  sub->add_option("--crf", a->crf, "Constant quality (crf for x264/x265/SVT-AV1, cq for NVENC)")->check(CLI::Range(0, 63));
  sub->add_option("--bitrate", a->bitrate, "Target bitrate, e.g. 5M (VBR; CBR with --cbr)");
  sub->add_option("--maxrate", a->maxrate, "Maximum bitrate for VBR, e.g. 8M");
  sub->add_flag("--cbr", a->cbr, "Constant bitrate (with --bitrate)");
  sub->add_option("--preset", a->preset, "Encoder preset (x264/x265: ultrafast..placebo; NVENC: p1..p7; SVT-AV1: 0..13)");
  sub->add_option("--tune", a->tune, "Encoder tune (x264/x265 tunes; NVENC: hq, ll, ull, lossless)");
  sub->add_option("--gop", a->gop, "Keyframe interval in frames")->check(CLI::Range(0, 100000));
  sub->add_option("--bframes", a->bframes, "B-frames (0 disables)")->check(CLI::Range(0, 16));
  sub->add_option("--device", a->device, "auto|cpu|cuda[:N]");
  sub->add_option("--encoder", a->encoder, "auto|cpu|nvenc (auto: NVENC when the GPU has it, else libavcodec)")
      ->check(CLI::IsMember({"auto", "cpu", "nvenc"}));
  sub->add_option("--mode", a->mode, "stream (bounded memory), resident (whole video in memory), live (frame by frame)")
      ->check(CLI::IsMember({"stream", "resident", "live"}));
  sub->add_option("--chunk", a->chunk, "Frames per chunk (stream mode)")->check(CLI::Range(1, 4096));
  sub->add_option("--format", a->format, "mp4|mkv|ts|h264|hevc (default: from OUT's extension)")
      ->check(CLI::IsMember({"mp4", "mkv", "ts", "h264", "hevc"}));
  sub->add_flag("--no-audio", a->no_audio, "Do not copy the audio streams");
  sub->add_option("--threads", a->threads, "Decoder/encoder threads for libavcodec (0: automatic)")->check(CLI::Range(0, 256));
  sub->add_option("--manifest", a->manifest, "File of jobs, one 'INPUT<TAB>OUTPUT' per line (instead of IN OUT)");
  sub->add_option("--jobs", a->jobs, "Jobs of the manifest run at once")->check(CLI::Range(1, 64));
  sub->add_option("--stats-json", a->stats_json, "Write timings, memory peaks and latency as JSON to this file");
  return [a]() {
    install_interrupt_handler();
    TranscodeOptions o = make_options(*a);
    if (!a->manifest.empty()) {
      if (!a->in.empty() || !a->out.empty())
        throw Error(Errc::InvalidArgument, "", "give either IN OUT or --manifest, not both");
      return run_manifest(*a, o);
    }
    if (a->in.empty() || a->out.empty()) throw Error(Errc::InvalidArgument, "", "transcode needs IN and OUT (or --manifest)");
    if (a->in == a->out && a->in != "-")
      throw Error(Errc::InvalidArgument, "", "IN and OUT are the same file: " + a->in);
    Progress progress("transcode", 0);
    o.progress = [&progress](const TranscodeProgress& p) {
      progress.set_total(p.total);
      progress.update(p.frames);
    };
    TranscodeStats s = transcode(input_of(a->in), a->out, o);
    progress.finish();
    summary(a->in, a->out, s);
    if (!a->stats_json.empty()) {
      std::ofstream f(a->stats_json);
      if (!f) throw Error(Errc::Io, a->stats_json, "cannot write the statistics");
      f << stats_json(a->in, a->out, s).dump(2) << "\n";
    }
    if (s.interrupted) {
      std::fprintf(stderr, "cuframe: interrupted: %lld frames written to %s (a complete, shorter file)\n",
                   static_cast<long long>(s.frames), a->out.c_str());
      return 130;
    }
    return 0;
  };
}

}  // namespace cuframe::cli
