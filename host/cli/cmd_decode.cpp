// cuframe decode FILE -o OUT|- [--pix-fmt ...] [--device ...] [--start N] [--count N]
#include <cstring>
#include <map>
#include <optional>
#include <memory>
#include <vector>

#include "commands.hpp"
#include "cuframe/cuda_stream.hpp"
#include "cuframe/cuframe.hpp"
#include "cuframe/decoder.hpp"
#include "cuframe/kernels/color.hpp"
#include "cuframe/output_file.hpp"
#include "interrupt.hpp"
#include "options.hpp"
#include "progress.hpp"

namespace cuframe::cli {

namespace {

struct DecodeArgs {
  std::string file;
  std::string out;
  std::string pix_fmt = "native";
  std::string device = "auto";
  int64_t start = 0;
  int64_t count = -1;
  std::string matrix;
  std::string range;
  int batch = 16;
  bool conceal = false;
};

// Writes frame i of `batch` packed (no pitch), plane after plane.
void write_packed(OutputFile& out, const FrameBatch& batch, int i, std::vector<std::byte>& staging) {
  const FrameLayout& l = batch.layout();
  std::byte* dst = staging.data();
  for (int p = 0; p < l.plane_count; ++p) {
    const PlaneLayout& pl = l.planes[p];
    const std::byte* src = batch.plane(i, p);
    for (int y = 0; y < pl.rows; ++y) {
      std::memcpy(dst, src + static_cast<size_t>(y) * pl.pitch, pl.row_bytes);
      dst += pl.row_bytes;
    }
  }
  out.write(staging.data(), staging.size());
}

}  // namespace

Runner add_decode(CLI::App& app) {
  auto a = std::make_shared<DecodeArgs>();
  CLI::App* sub = app.add_subcommand("decode", "Decode video frames to raw planes (like ffmpeg -f rawvideo)");
  sub->add_option("FILE", a->file, "Input file, or - for stdin")->required();
  sub->add_option("-o,--output", a->out, "Output file, or - for stdout")->required();
  sub->add_option("--pix-fmt", a->pix_fmt, "native|nv12|p016|yuv444p|yuv444p16|rgb24|bgr24|rgba|rgbp|gray")
      ->check(CLI::IsMember({"native", "nv12", "p016", "yuv444p", "yuv444p16", "rgb24", "bgr24", "rgba", "rgbp", "gray"}));
  sub->add_option("--device", a->device, "auto|cpu|cuda[:N]");
  sub->add_option("--start", a->start, "First frame to output (presentation order)")->check(CLI::NonNegativeNumber);
  sub->add_option("--count", a->count, "Frames to output (default: all)")->check(CLI::NonNegativeNumber);
  sub->add_option("--matrix", a->matrix, "Override the colour matrix (RGB outputs)")
      ->check(CLI::IsMember({"bt601", "bt709", "bt2020"}));
  sub->add_option("--range", a->range, "Override the range (RGB outputs)")->check(CLI::IsMember({"limited", "full"}));
  sub->add_option("--batch", a->batch, "Frames decoded per batch")->check(CLI::Range(1, 1024));
  sub->add_flag("--conceal-errors", a->conceal,
                "Skip packets that fail to decode (as the ffmpeg program does) instead of failing");
  return [a]() {
    ReaderOptions ro;
    const DeviceChoice device = parse_device(a->device);
    ro.decode.backend = device.backend;
    ro.decode.device = device.ordinal;
    ro.decode.conceal_errors = a->conceal;
    ro.batch_frames = a->batch;
    VideoReader reader(InputSource::file(a->file), ro);
    const FrameLayout& native_layout = reader.decoder().layout();
    const std::string native = to_string(native_layout.format);
    // Native formats pass through; RGB and gray go through the colour kernels.
    std::optional<PixelFormat> convert_to;
    const std::map<std::string, PixelFormat> rgb = {{"rgb24", PixelFormat::RGB24}, {"bgr24", PixelFormat::BGR24},
                                                    {"rgba", PixelFormat::RGBA},   {"rgbp", PixelFormat::RGBP},
                                                    {"gray", PixelFormat::Gray8}};
    if (auto it = rgb.find(a->pix_fmt); it != rgb.end()) {
      convert_to = it->second;
    } else if (a->pix_fmt != "native" && a->pix_fmt != native) {
      throw Error(Errc::Unsupported, a->file,
                  "--pix-fmt " + a->pix_fmt + ": this stream decodes to " + native +
                      "; changing the bit depth or chroma subsampling is not supported yet (use native, or an RGB/gray format)");
    }
    kernels::ColorSettings color;
    if (a->matrix == "bt601") color.matrix = ColorMatrix::BT601;
    if (a->matrix == "bt709") color.matrix = ColorMatrix::BT709;
    if (a->matrix == "bt2020") color.matrix = ColorMatrix::BT2020;
    if (a->range == "limited") color.range = ColorRange::Limited;
    if (a->range == "full") color.range = ColorRange::Full;
    const FrameLayout layout = convert_to ? kernels::converted_layout(native_layout, *convert_to) : native_layout;
    const VideoStreamInfo& v = reader.info().video;
    log(Verbosity::Info, "%s: %dx%d %s -> %s, %zu bytes per frame", a->file.c_str(), native_layout.width,
        native_layout.height, v.pix_fmt.c_str(), to_string(layout.format), layout.packed_bytes());

    install_interrupt_handler();
    OutputFile out(a->out);
    FrameBatch decoded = reader.make_batch();
    std::optional<FrameBatch> converted;
    if (convert_to) converted.emplace(layout, decoded.capacity(), decoded.memory(), decoded.device());
    // NVDEC's frames are on the GPU: converted there on a stream, then copied into pinned
    // memory once per batch (the host never reads device memory).
    std::optional<CudaStream> stream;
    std::optional<FrameBatch> host;
    if (decoded.memory() == MemoryKind::Device) {
      stream.emplace(decoded.device());
      host.emplace(layout, decoded.capacity(), MemoryKind::Pinned, decoded.device());
    }
    std::vector<std::byte> staging(layout.packed_bytes());
    const int64_t expected = v.fps.num > 0 ? static_cast<int64_t>(v.duration_s * v.fps.value() + 0.5) : 0;
    Progress progress("decode", a->count >= 0 ? a->count : expected - a->start);
    int64_t index = 0, written = 0;
    bool stop = false;
    while (!stop && (stream ? reader.read(decoded, *stream) : reader.read(decoded))) {
      if (converted) kernels::convert_color(decoded, *converted, color, stream ? &*stream : nullptr);
      const FrameBatch& result = converted ? *converted : decoded;
      if (host) {
        stream->copy_async(host->plane(0, 0), result.plane(0, 0), layout.frame_stride * static_cast<size_t>(result.size()));
        host->resize(result.size());
        for (int i = 0; i < result.size(); ++i) host->info(i) = result.info(i);
        stream->synchronize();
      }
      const FrameBatch& batch = host ? *host : result;
      for (int i = 0; i < batch.size(); ++i, ++index) {
        if (index < a->start) continue;
        if (a->count >= 0 && written >= a->count) {
          stop = true;
          break;
        }
        write_packed(out, batch, i, staging);
        ++written;
      }
      progress.update(written);
      if (interrupted()) break;
      if (a->count >= 0 && written >= a->count) stop = true;
    }
    progress.finish();
    out.commit();
    if (reader.decoder().errors() > 0)
      std::fprintf(stderr, "cuframe: warning: %s: %lld damaged packet(s) skipped\n", a->file.c_str(),
                   static_cast<long long>(reader.decoder().errors()));
    log(Verbosity::Info, "%s: wrote %lld frames to %s", a->file.c_str(), static_cast<long long>(written),
        a->out.c_str());
    if (interrupted()) {
      std::fprintf(stderr, "cuframe: interrupted: %lld frames written to %s\n", static_cast<long long>(written),
                   a->out.c_str());
      return 130;
    }
    return 0;
  };
}

}  // namespace cuframe::cli
