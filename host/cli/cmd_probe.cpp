// cuframe probe FILE [--json]
#include <cstdio>
#include <memory>

#include "commands.hpp"
#include "cuframe/cuframe.hpp"

namespace cuframe::cli {

namespace {

struct ProbeArgs {
  std::string file;
  bool json = false;
  bool no_count = false;
};

void print_text(const std::string& file, const MediaInfo& info) {
  const VideoStreamInfo& v = info.video;
  const ColorInfo& c = v.color;
  std::printf("%s: %s, %.3f s\n", file.c_str(), info.container.c_str(), info.duration_s);
  std::printf("  video #%d: %s (%s), %dx%d, %s, %d-bit %s\n", v.index, v.codec_name.c_str(), v.profile.c_str(),
              v.width, v.height, v.pix_fmt.c_str(), v.bit_depth, to_string(v.chroma));
  if (v.frames >= 0) {
    std::printf("    frames %lld, %d/%d fps, %.3f s, rotation %d, sar %d:%d\n", static_cast<long long>(v.frames),
                v.fps.num, v.fps.den, v.duration_s, v.rotation, v.sar.num, v.sar.den);
  } else {
    std::printf("    frames not counted, %d/%d fps, %.3f s, rotation %d, sar %d:%d\n", v.fps.num, v.fps.den,
                v.duration_s, v.rotation, v.sar.num, v.sar.den);
  }
  std::printf("    colour: matrix %s%s, range %s%s, primaries %s, transfer %s, chroma %s\n",
              v.color.matrix == ColorMatrix::Other ? c.matrix_tag.c_str() : to_string(c.matrix),
              c.matrix_from_stream ? "" : " (default)", to_string(c.range), c.range_from_stream ? "" : " (default)",
              c.primaries.c_str(), c.transfer.c_str(), to_string(c.chroma_location));
  for (const AudioStreamInfo& a : info.audio)
    std::printf("  audio #%d: %s, %d Hz, %d channels (%s)\n", a.index, a.codec_name.c_str(), a.sample_rate,
                a.channels, a.channel_layout.c_str());
}

}  // namespace

Runner add_probe(CLI::App& app) {
  auto args = std::make_shared<ProbeArgs>();
  CLI::App* sub = app.add_subcommand("probe", "Describe a video file: container, video and audio streams");
  sub->add_option("FILE", args->file, "Input file, or - for stdin")->required();
  sub->add_flag("--json", args->json, "Print one JSON object");
  sub->add_flag("--no-count", args->no_count, "Do not decode to count frames (frames is -1)");
  return [args]() {
    ProbeOptions options;
    options.count_frames = !args->no_count;
    const MediaInfo info = probe(InputSource::file(args->file), options);
    if (args->json) {
      std::printf("%s\n", to_json(info).c_str());
    } else {
      print_text(args->file, info);
    }
    if (!args->no_count && info.video.frames < 0)
      std::fprintf(stderr, "cuframe: warning: %s: no %s decoder in this build; frames not counted\n",
                   args->file.c_str(), info.video.codec_name.c_str());
    if (info.video.decode_errors > 0)
      std::fprintf(stderr, "cuframe: warning: %s: %lld packet(s) failed to decode while counting frames (damaged stream)\n",
                   args->file.c_str(), static_cast<long long>(info.video.decode_errors));
    return 0;
  };
}

}  // namespace cuframe::cli
