// Muxing with libavformat into a file, a pipe/stdout or memory (cuframe/muxer.hpp).
#include "cuframe/muxer.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

extern "C" {
#include <libavutil/pixdesc.h>
}

#include "cuframe/output_file.hpp"
#include "ffmpeg_util.hpp"
#include "native.hpp"

namespace cuframe {

const char* to_string(ContainerFormat f) noexcept {
  switch (f) {
    case ContainerFormat::Auto: return "auto";
    case ContainerFormat::Mp4: return "mp4";
    case ContainerFormat::Mkv: return "mkv";
    case ContainerFormat::Ts: return "ts";
    case ContainerFormat::H264: return "h264";
    case ContainerFormat::Hevc: return "hevc";
  }
  return "auto";
}

ContainerFormat parse_container(std::string_view n) {
  if (n == "mp4" || n == "mov" || n == "m4v") return ContainerFormat::Mp4;
  if (n == "mkv" || n == "matroska") return ContainerFormat::Mkv;
  if (n == "ts" || n == "mpegts" || n == "m2ts") return ContainerFormat::Ts;
  if (n == "h264" || n == "264") return ContainerFormat::H264;
  if (n == "hevc" || n == "h265" || n == "265") return ContainerFormat::Hevc;
  throw Error(Errc::InvalidArgument, "--format " + std::string(n), "unknown format (mp4, mkv, ts, h264 or hevc)");
}

ContainerFormat container_for_path(std::string_view path) {
  const auto dot = path.rfind('.');
  const auto slash = path.rfind('/');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash)) return ContainerFormat::Auto;
  std::string ext(path.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  try {
    return parse_container(ext);
  } catch (const Error&) {
    return ContainerFormat::Auto;
  }
}

bool wants_global_header(ContainerFormat f) noexcept { return f == ContainerFormat::Mp4 || f == ContainerFormat::Mkv; }

namespace {

const char* libav_muxer(ContainerFormat f) {
  switch (f) {
    case ContainerFormat::Mp4: return "mp4";
    case ContainerFormat::Mkv: return "matroska";
    case ContainerFormat::Ts: return "mpegts";
    case ContainerFormat::H264: return "h264";
    case ContainerFormat::Hevc: return "hevc";
    case ContainerFormat::Auto: break;
  }
  return nullptr;
}

AVCodecID libav_codec_id(Codec c) {
  switch (c) {
    case Codec::H264: return AV_CODEC_ID_H264;
    case Codec::HEVC: return AV_CODEC_ID_HEVC;
    case Codec::AV1: return AV_CODEC_ID_AV1;
    default: return AV_CODEC_ID_NONE;
  }
}

AVPixelFormat stream_pix_fmt(const EncodeParams& p) {
  const bool is420 = p.format == PixelFormat::NV12 || p.format == PixelFormat::P016;
  if (p.bit_depth <= 8) return is420 ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_YUV444P;
  if (p.bit_depth == 10) return is420 ? AV_PIX_FMT_YUV420P10LE : AV_PIX_FMT_YUV444P10LE;
  return is420 ? AV_PIX_FMT_YUV420P12LE : AV_PIX_FMT_YUV444P12LE;
}

}  // namespace

struct Muxer::Impl {
  std::string name;
  MuxOptions options;
  ContainerFormat format = ContainerFormat::Auto;
  bool to_memory = false;
  bool streaming = false;
  AVFormatContext* oc = nullptr;
  std::unique_ptr<OutputFile> file;
  bool own_avio = false;   // avio_open'ed (regular files), else our custom AVIO
  AVIOContext* custom = nullptr;
  std::vector<std::byte> bytes;  // memory output
  size_t pos = 0;
  int write_errno = 0;
  std::mutex lock;
  int video_index = -1;
  AVRational video_tb{1, 25};
  std::map<int, std::pair<int, AVRational>> copies;  // input stream -> (output stream, input time base)
  bool begun = false;
  bool finished = false;
  int64_t packets = 0;

  ~Impl() {
    if (oc) {
      if (own_avio) avio_closep(&oc->pb);
      avformat_free_context(oc);
    }
    if (custom) {
      av_freep(&custom->buffer);
      avio_context_free(&custom);
    }
  }

  void create_context() {
    const char* mux = libav_muxer(format);
    int ret = avformat_alloc_output_context2(&oc, nullptr, mux, nullptr);
    if (ret < 0 || !oc) detail::throw_av_error(ret < 0 ? ret : AVERROR(ENOMEM), name, "creating the muxer");
  }

  static int write_cb(void* opaque, uint8_t* buf, int size) {  // const in FFmpeg >= 6.1
    auto* m = static_cast<Impl*>(opaque);
    if (m->to_memory) {
      const size_t need = m->pos + static_cast<size_t>(size);
      if (need > m->bytes.size()) m->bytes.resize(need);
      std::memcpy(m->bytes.data() + m->pos, buf, static_cast<size_t>(size));
      m->pos = need;
      return size;
    }
    int left = size;
    while (left > 0) {
      const ssize_t n = ::write(m->file->fd(), buf, static_cast<size_t>(left));
      if (n < 0) {
        if (errno == EINTR) continue;
        m->write_errno = errno;
        return AVERROR(errno);
      }
      buf += n;
      left -= static_cast<int>(n);
    }
    return size;
  }
  static int read_cb(void* opaque, uint8_t* buf, int size) {
    auto* m = static_cast<Impl*>(opaque);
    if (m->pos >= m->bytes.size()) return AVERROR_EOF;
    const size_t n = std::min(static_cast<size_t>(size), m->bytes.size() - m->pos);
    std::memcpy(buf, m->bytes.data() + m->pos, n);
    m->pos += n;
    return static_cast<int>(n);
  }
  static int64_t seek_cb(void* opaque, int64_t offset, int whence) {
    auto* m = static_cast<Impl*>(opaque);
    if (whence & AVSEEK_SIZE) return static_cast<int64_t>(m->bytes.size());
    int64_t base = 0;
    switch (whence & ~AVSEEK_FORCE) {
      case SEEK_SET: base = 0; break;
      case SEEK_CUR: base = static_cast<int64_t>(m->pos); break;
      case SEEK_END: base = static_cast<int64_t>(m->bytes.size()); break;
      default: return AVERROR(EINVAL);
    }
    if (base + offset < 0) return AVERROR(EINVAL);
    m->pos = static_cast<size_t>(base + offset);
    return base + offset;
  }

  [[noreturn]] void fail(int ret, const char* what) {
    if (write_errno == EPIPE || ret == AVERROR(EPIPE))
      throw Error(Errc::Io, name, std::string(what) + ": the reader closed the pipe");
    detail::throw_av_error(ret, name, what);
  }

  void open_output() {
    if (to_memory) {
      constexpr int kBuf = 1 << 16;
      auto* buf = static_cast<unsigned char*>(av_malloc(kBuf));
      if (!buf) throw Error(Errc::OutOfMemory, name, "allocating the output buffer");
      custom = avio_alloc_context(buf, kBuf, 1, this, &read_cb, &write_cb, &seek_cb);
      if (!custom) {
        av_free(buf);
        throw Error(Errc::OutOfMemory, name, "allocating the output context");
      }
      oc->pb = custom;
      oc->flags |= AVFMT_FLAG_CUSTOM_IO;
      return;
    }
    file = std::make_unique<OutputFile>(name);
    if (file->atomic()) {
      // A regular file, through a temporary one: libavformat opens it by name so that
      // MP4's faststart pass can read it back.
      av_freep(&oc->url);
      oc->url = av_strdup(file->temp_path().c_str());  // faststart reopens the file by this name
      if (!oc->url) throw Error(Errc::OutOfMemory, name, "allocating the output name");
      const int ret = avio_open(&oc->pb, file->temp_path().c_str(), AVIO_FLAG_WRITE);
      if (ret < 0) detail::throw_av_error(ret, name, "cannot open for writing");
      own_avio = true;
      return;
    }
    constexpr int kBuf = 1 << 16;
    auto* buf = static_cast<unsigned char*>(av_malloc(kBuf));
    if (!buf) throw Error(Errc::OutOfMemory, name, "allocating the output buffer");
    custom = avio_alloc_context(buf, kBuf, 1, this, nullptr, &write_cb, nullptr);
    if (!custom) {
      av_free(buf);
      throw Error(Errc::OutOfMemory, name, "allocating the output context");
    }
    custom->seekable = 0;
    oc->pb = custom;
    oc->flags |= AVFMT_FLAG_CUSTOM_IO;
  }
};

Muxer::Muxer() : impl_(std::make_unique<Impl>()) {}

Muxer::Muxer(std::string path, const MuxOptions& options) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  m.name = std::move(path);
  m.options = options;
  m.format = options.format != ContainerFormat::Auto ? options.format : container_for_path(m.name);
  if (m.format == ContainerFormat::Auto)
    throw Error(Errc::InvalidArgument, m.name,
                m.name == "-" ? "writing to stdout needs --format (mp4, mkv, ts, h264 or hevc)"
                              : "cannot tell the container from the file name: use .mp4, .mkv, .ts, .h264 or .hevc, or "
                                "pass --format");
  // Anything that is not a regular file (stdout, a pipe, a device) is written as a stream.
  if (m.name == "-") {
    m.streaming = true;
  } else {
    struct stat st {};
    m.streaming = ::stat(m.name.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
  }
  m.create_context();
}

Muxer Muxer::memory(const MuxOptions& options) {
  Muxer mx;
  Impl& m = *mx.impl_;
  m.name = "<memory>";
  m.options = options;
  m.format = options.format;
  if (m.format == ContainerFormat::Auto)
    throw Error(Errc::InvalidArgument, m.name, "a memory output needs a format (mp4, mkv, ts, h264 or hevc)");
  m.to_memory = true;
  m.create_context();
  return mx;
}

Muxer::~Muxer() = default;
Muxer::Muxer(Muxer&&) noexcept = default;
Muxer& Muxer::operator=(Muxer&&) noexcept = default;

ContainerFormat Muxer::format() const noexcept { return impl_->format; }
const std::string& Muxer::name() const noexcept { return impl_->name; }
bool Muxer::streaming() const noexcept { return impl_->streaming; }
int64_t Muxer::packets_written() const noexcept { return impl_->packets; }

int Muxer::add_video(const VideoStreamSpec& stream, const Demuxer* source) {
  Impl& m = *impl_;
  const EncodeParams& params = stream.params;
  const Codec codec = stream.codec;
  if (m.begun) throw Error(Errc::InvalidArgument, m.name, "add_video() after begin()");
  if (m.video_index >= 0) throw Error(Errc::InvalidArgument, m.name, "the output already has a video stream");
  const AVCodecID id = libav_codec_id(codec);
  if ((m.format == ContainerFormat::H264 && codec != Codec::H264) ||
      (m.format == ContainerFormat::Hevc && codec != Codec::HEVC) ||
      avformat_query_codec(m.oc->oformat, id, FF_COMPLIANCE_NORMAL) == 0)  // < 0: the muxer does not say
    throw Error(Errc::Unsupported, m.name,
                std::string("a ") + to_string(m.format) + " output cannot hold " + to_string(codec) + " video");
  AVStream* st = avformat_new_stream(m.oc, nullptr);
  if (!st) throw Error(Errc::OutOfMemory, m.name, "adding the video stream");
  AVCodecParameters* par = st->codecpar;
  par->codec_type = AVMEDIA_TYPE_VIDEO;
  par->codec_id = id;
  par->width = params.width;
  par->height = params.height;
  par->format = stream_pix_fmt(params);
  par->field_order = AV_FIELD_PROGRESSIVE;
  const AVRational sar{params.sar.num > 0 ? params.sar.num : 1, params.sar.den > 0 ? params.sar.den : 1};
  par->sample_aspect_ratio = st->sample_aspect_ratio = sar;
  int v = av_color_primaries_from_name(params.color.primaries.c_str());
  par->color_primaries = v >= 0 ? static_cast<AVColorPrimaries>(v) : AVCOL_PRI_UNSPECIFIED;
  v = av_color_transfer_from_name(params.color.transfer.c_str());
  par->color_trc = v >= 0 ? static_cast<AVColorTransferCharacteristic>(v) : AVCOL_TRC_UNSPECIFIED;
  v = av_color_space_from_name(params.color.matrix_tag.c_str());
  par->color_space = v >= 0 ? static_cast<AVColorSpace>(v) : AVCOL_SPC_UNSPECIFIED;
  par->color_range = params.color.range == ColorRange::Full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
  if (params.color.range_tag == "unknown" && params.color.range == ColorRange::Limited)
    par->color_range = AVCOL_RANGE_UNSPECIFIED;
  v = av_chroma_location_from_name(params.color.chroma_location_tag.c_str());
  par->chroma_location = v >= 0 ? static_cast<AVChromaLocation>(v) : AVCHROMA_LOC_UNSPECIFIED;
  const auto extra = stream.extradata;
  if (!extra.empty()) {
    par->extradata = static_cast<uint8_t*>(av_mallocz(extra.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    if (!par->extradata) throw Error(Errc::OutOfMemory, m.name, "copying the codec header");
    std::memcpy(par->extradata, extra.data(), extra.size());
    par->extradata_size = static_cast<int>(extra.size());
  }
  m.video_tb = AVRational{params.time_base.num, params.time_base.den};
  st->time_base = m.video_tb;
  if (params.frame_rate.num > 0 && params.frame_rate.den > 0)
    st->avg_frame_rate = st->r_frame_rate = AVRational{params.frame_rate.num, params.frame_rate.den};
  if (source) {
    const AVStream* in = detail::native_stream(*source, source->video().index);
    for (AVPacketSideDataType type : {AV_PKT_DATA_DISPLAYMATRIX, AV_PKT_DATA_MASTERING_DISPLAY_METADATA,
                                      AV_PKT_DATA_CONTENT_LIGHT_LEVEL}) {
      size_t size = 0;
      const uint8_t* data = av_stream_get_side_data(in, type, &size);
      if (!data || !size) continue;
      auto* copy = static_cast<uint8_t*>(av_malloc(size));
      if (!copy) throw Error(Errc::OutOfMemory, m.name, "copying stream metadata");
      std::memcpy(copy, data, size);
      const int ret = av_stream_add_side_data(st, type, copy, size);
      if (ret < 0) {
        av_free(copy);
        detail::throw_av_error(ret, m.name, "copying stream metadata");
      }
    }
  }
  m.video_index = st->index;
  return st->index;
}

int Muxer::add_copy(const Demuxer& source, int input_stream) {
  Impl& m = *impl_;
  if (m.begun) throw Error(Errc::InvalidArgument, m.name, "add_copy() after begin()");
  const AVStream* in = detail::native_stream(source, input_stream);
  if (avformat_query_codec(m.oc->oformat, in->codecpar->codec_id, FF_COMPLIANCE_NORMAL) == 0)
    throw Error(Errc::Unsupported, m.name,
                std::string("a ") + to_string(m.format) + " output cannot hold the " +
                    avcodec_get_name(in->codecpar->codec_id) + " stream " + std::to_string(input_stream) +
                    " of " + source.name() + " (pass --no-audio to drop it, or choose mkv)");
  AVStream* st = avformat_new_stream(m.oc, nullptr);
  if (!st) throw Error(Errc::OutOfMemory, m.name, "adding a stream");
  detail::av_check(avcodec_parameters_copy(st->codecpar, in->codecpar), m.name, "copying stream parameters");
  st->codecpar->codec_tag = 0;
  st->time_base = in->time_base;
  st->disposition = in->disposition;
  av_dict_copy(&st->metadata, in->metadata, 0);
  m.copies[input_stream] = {st->index, in->time_base};
  return st->index;
}

void Muxer::begin() {
  Impl& m = *impl_;
  if (m.begun) return;
  if (m.video_index < 0) throw Error(Errc::InvalidArgument, m.name, "no video stream added");
  m.open_output();
  AVDictionary* opts = nullptr;
  if (m.format == ContainerFormat::Mp4) {
    if (m.streaming || m.options.fragmented)
      av_dict_set(&opts, "movflags",
                  m.options.flush_packets ? "+frag_every_frame+empty_moov+default_base_moof"  // live: a fragment per frame
                                          : "+frag_keyframe+empty_moov+default_base_moof",
                  0);
    else if (!m.to_memory)
      av_dict_set(&opts, "movflags", "+faststart", 0);
  }
  if (m.options.flush_packets) m.oc->flush_packets = 1;
  const int ret = avformat_write_header(m.oc, &opts);
  av_dict_free(&opts);
  if (ret < 0) m.fail(ret, "writing the container header");
  m.begun = true;
}

void Muxer::write_video(Packet& packet) {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> hold(m.lock);
  AVPacket* pkt = detail::native(packet);
  pkt->stream_index = m.video_index;
  av_packet_rescale_ts(pkt, m.video_tb, m.oc->streams[m.video_index]->time_base);
  pkt->pos = -1;
  const int ret = av_interleaved_write_frame(m.oc, pkt);
  if (ret < 0) m.fail(ret, "writing a video packet");
  ++m.packets;
  if (m.options.flush_packets) avio_flush(m.oc->pb);
}

void Muxer::write_copy(Packet& packet) {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> hold(m.lock);
  AVPacket* pkt = detail::native(packet);
  const auto it = m.copies.find(pkt->stream_index);
  if (it == m.copies.end()) return;  // a stream the output does not carry
  pkt->stream_index = it->second.first;
  av_packet_rescale_ts(pkt, it->second.second, m.oc->streams[it->second.first]->time_base);
  pkt->pos = -1;
  const int ret = av_interleaved_write_frame(m.oc, pkt);
  if (ret < 0) m.fail(ret, "writing a copied packet");
  ++m.packets;
}

void Muxer::finish() {
  Impl& m = *impl_;
  if (m.finished) return;
  if (!m.begun) throw Error(Errc::InvalidArgument, m.name, "finish() before begin()");
  int ret = av_write_trailer(m.oc);
  if (ret < 0) m.fail(ret, "writing the container trailer");
  if (m.own_avio) {
    ret = avio_closep(&m.oc->pb);
    if (ret < 0) m.fail(ret, "closing the output");
  } else {
    avio_flush(m.oc->pb);
    if (m.oc->pb->error < 0) m.fail(m.oc->pb->error, "writing the output");
  }
  if (m.file) m.file->commit();
  m.finished = true;
}

std::vector<std::byte> Muxer::take_bytes() {
  Impl& m = *impl_;
  if (!m.to_memory || !m.finished)
    throw Error(Errc::InvalidArgument, m.name, "take_bytes() needs a finished memory output");
  return std::move(m.bytes);
}

}  // namespace cuframe
