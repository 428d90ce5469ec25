// cuframe bench decode|ops|transcode FILE [--ops LIST] [--device ...] [--repeat N] [--json]
//
// Quick throughput numbers on the user's own files: medians of --repeat runs after one
// warm-up run. (The peer-against-peer measurements live in bench/, cuframe_bench.)
#include <algorithm>
#include <chrono>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "options.hpp"
#include "cuframe/cuframe.hpp"

namespace cuframe::cli {

namespace {

struct BenchArgs {
  std::string what;
  std::string file;
  std::string ops = "resize=1280x720";
  std::string device = "auto";
  std::string codec = "h264";
  int repeat = 3;
  int frames = 64;
  bool json = false;
};

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

Runner add_bench(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  CLI::App* sub = app.add_subcommand("bench", "Measure decode, ops or transcode throughput on a file");
  sub->add_option("WHAT", a->what, "decode|ops|transcode")->required()->check(CLI::IsMember({"decode", "ops", "transcode"}));
  sub->add_option("FILE", a->file, "Input video")->required();
  sub->add_option("--ops", a->ops, "Op list for ops/transcode");
  sub->add_option("--device", a->device, "auto|cpu|cuda[:N]");
  sub->add_option("--codec", a->codec, "h264|hevc|av1 (transcode)")->check(CLI::IsMember({"h264", "hevc", "av1"}));
  sub->add_option("--repeat", a->repeat, "Measured runs (after one warm-up)")->check(CLI::Range(1, 100));
  sub->add_option("--frames", a->frames, "Frames per ops batch")->check(CLI::Range(1, 1024));
  sub->add_flag("--json", a->json, "Print JSON instead of a table");
  return [a]() {
    const DeviceChoice device = parse_device(a->device);
    const Backend backend = device.backend;
    const int ordinal = device.ordinal;
    std::vector<double> fps;
    int64_t frames = 0;
    std::string engine;
    for (int run = 0; run <= a->repeat; ++run) {  // run 0 is the warm-up
      const auto t0 = Clock::now();
      if (a->what == "decode") {
        ReaderOptions ro;
        ro.decode.backend = backend;
        ro.decode.device = ordinal;
        VideoReader reader(InputSource::file(a->file), ro);
        FrameBatch b = reader.make_batch();
        frames = 0;
        while (reader.read(b)) frames += b.size();
        engine = reader.decoder().description();
      } else if (a->what == "ops") {
        static std::optional<FrameBatch> batch;
        static std::optional<OpChain> chain;
        static std::optional<CudaStream> stream;
        if (run == 0) {
          ReaderOptions ro;
          ro.decode.backend = backend;
          ro.decode.device = ordinal;
          ro.batch_frames = a->frames;
          VideoReader reader(InputSource::file(a->file), ro);
          batch.emplace(reader.make_batch());
          if (!reader.read(*batch)) throw Error(Errc::InvalidData, a->file, "no frames");
          chain.emplace(parse_ops(a->ops), batch->layout(), batch->capacity(), batch->memory(), ordinal);
          if (batch->memory() == MemoryKind::Device) stream.emplace(ordinal);
          engine = std::string(batch->memory() == MemoryKind::Device ? "GPU" : "CPU executor") + ", " + a->ops;
        }
        chain->run(*batch, stream ? &*stream : nullptr);
        if (stream) stream->synchronize();
        frames = batch->size();
      } else {
        TranscodeOptions o;
        o.ops = parse_ops(a->ops);
        o.decode.backend = backend;
        o.decode.device = ordinal;
        o.encode.codec = a->codec == "hevc" ? Codec::HEVC : a->codec == "av1" ? Codec::AV1 : Codec::H264;
        if (a->device == "cpu") o.encode.backend = EncoderBackend::Cpu;
        o.mux.format = ContainerFormat::Mkv;
        o.copy_audio = false;
        std::vector<std::byte> bytes;
        TranscodeStats s = transcode_to_memory(InputSource::file(a->file), bytes, o);
        frames = s.frames;
        engine = s.decoder + " -> " + s.encoder;
      }
      const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
      if (run > 0) fps.push_back(static_cast<double>(frames) / secs);
    }
    const double med = median(fps);
    if (a->json) {
      nlohmann::json j = {{"what", a->what}, {"file", a->file},  {"frames", frames},
                          {"fps_median", med}, {"runs", fps},   {"engine", engine}};
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      std::printf("%-10s %-40s %8s %12s  %s\n", "bench", "file", "frames", "fps(median)", "engine");
      std::printf("%-10s %-40s %8lld %12.1f  %s\n", a->what.c_str(), a->file.c_str(), static_cast<long long>(frames), med,
                  engine.c_str());
    }
    return 0;
  };
}

}  // namespace cuframe::cli
