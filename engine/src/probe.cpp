#include "cuframe/probe.hpp"

#include <nlohmann/json.hpp>

#include "cuframe/demuxer.hpp"
#include "ffmpeg_util.hpp"
#include "native.hpp"

namespace cuframe {

namespace {

// Decodes every packet of the video stream with libavcodec and counts the frames it
// outputs — the number `ffprobe -count_frames` reports. Decode errors are counted, not
// fatal: like ffprobe, a damaged packet loses its frame and decoding goes on.
void count_frames(Demuxer& demux, const ProbeOptions& options, VideoStreamInfo& v) {
  const AVCodecParameters* par = detail::codec_parameters(demux);
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (!codec) return;  // frames stays -1; the caller reports it
  detail::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) throw Error(Errc::OutOfMemory, "avcodec_alloc_context3", "cannot allocate a decoder");
  detail::av_check(avcodec_parameters_to_context(ctx.get(), par), demux.name(), "configuring the decoder");
  ctx->pkt_timebase = AVRational{v.time_base.num, v.time_base.den};
  ctx->thread_count = options.threads;
  ctx->max_pixels = options.limits.max_pixels;
  // Pixels are not looked at: skipping the loop filter is safe for the count and faster.
  ctx->skip_loop_filter = AVDISCARD_ALL;
  int ret = avcodec_open2(ctx.get(), codec, nullptr);
  if (ret < 0) detail::throw_av_error(ret, demux.name(), std::string("opening the ") + codec->name + " decoder");

  auto frame = detail::make_frame();
  int64_t frames = 0;
  auto drain = [&]() {
    for (;;) {
      ret = avcodec_receive_frame(ctx.get(), frame.get());
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
      if (ret < 0) {
        ++v.decode_errors;
        return;
      }
      ++frames;
      av_frame_unref(frame.get());
    }
  };
  Packet packet;
  while (demux.read(packet)) {
    ret = avcodec_send_packet(ctx.get(), detail::native(packet));
    if (ret == AVERROR(ENOMEM)) detail::throw_av_error(ret, demux.name(), "decoding");
    if (ret < 0 && ret != AVERROR(EAGAIN)) ++v.decode_errors;
    drain();
  }
  avcodec_send_packet(ctx.get(), nullptr);
  drain();
  v.frames = frames;
}

std::string rational_string(Rational r, char sep) {
  return std::to_string(r.num) + sep + std::to_string(r.den);
}

}  // namespace

MediaInfo probe(const InputSource& input, const ProbeOptions& options) {
  DemuxOptions dopt;
  dopt.limits = options.limits;
  Demuxer demux(input, dopt);
  MediaInfo info = demux.info();
  if (options.count_frames) count_frames(demux, options, info.video);
  return info;
}

std::string to_json(const MediaInfo& info) {
  using nlohmann::ordered_json;
  const VideoStreamInfo& v = info.video;
  const ColorInfo& c = v.color;
  ordered_json color = {
      {"matrix", v.color.matrix == ColorMatrix::Other ? c.matrix_tag : to_string(c.matrix)},
      {"range", to_string(c.range)},
      {"primaries", c.primaries},
      {"transfer", c.transfer},
      {"chroma_location", to_string(c.chroma_location)},
      {"tags", {{"matrix", c.matrix_tag}, {"range", c.range_tag}, {"chroma_location", c.chroma_location_tag}}},
  };
  ordered_json video = {
      {"index", v.index},
      {"codec", v.codec_name},
      {"profile", v.profile},
      {"width", v.width},
      {"height", v.height},
      {"pix_fmt", v.pix_fmt},
      {"bit_depth", v.bit_depth},
      {"chroma", to_string(v.chroma)},
      {"frames", v.frames},
      {"fps", rational_string(v.fps, '/')},
      {"duration_s", v.duration_s},
      {"rotation", v.rotation},
      {"color", color},
      {"sar", rational_string(v.sar, ':')},
      {"time_base", rational_string(v.time_base, '/')},
      {"bit_rate", v.bit_rate},
      {"hdr_metadata", v.has_hdr_metadata},
      {"decode_errors", v.decode_errors},
  };
  ordered_json audio = ordered_json::array();
  for (const AudioStreamInfo& a : info.audio) {
    audio.push_back({{"index", a.index},
                     {"codec", a.codec_name},
                     {"profile", a.profile},
                     {"sample_rate", a.sample_rate},
                     {"channels", a.channels},
                     {"channel_layout", a.channel_layout},
                     {"duration_s", a.duration_s}});
  }
  ordered_json root = {{"container", info.container},
                       {"duration_s", info.duration_s},
                       {"size_bytes", info.size_bytes},
                       {"video", video},
                       {"audio", audio}};
  return root.dump(2);
}

}  // namespace cuframe
