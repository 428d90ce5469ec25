#include "cuframe/demuxer.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <utility>
#include <vector>

#include "avio_source.hpp"
#include "ffmpeg_util.hpp"
#include "native.hpp"
#include "stream_info.hpp"

namespace cuframe {

using detail::av_error_text;

// ---------------------------------------------------------------------------- Packet

namespace {
AVPacket* av(void* native) noexcept { return static_cast<AVPacket*>(native); }
}  // namespace

Packet::Packet() : native_(av_packet_alloc()) {
  if (!native_) throw Error(Errc::OutOfMemory, "av_packet_alloc", "cannot allocate a packet");
}
Packet::~Packet() {
  AVPacket* p = av(native_);
  av_packet_free(&p);
}
Packet::Packet(Packet&& o) noexcept : native_(std::exchange(o.native_, nullptr)) {}
Packet& Packet::operator=(Packet&& o) noexcept {
  if (this != &o) {
    AVPacket* p = av(native_);
    av_packet_free(&p);
    native_ = std::exchange(o.native_, nullptr);
  }
  return *this;
}
std::span<const std::uint8_t> Packet::data() const noexcept {
  const AVPacket* p = av(native_);
  return p && p->data ? std::span<const std::uint8_t>(p->data, static_cast<size_t>(p->size))
                      : std::span<const std::uint8_t>();
}
int64_t Packet::pts() const noexcept { return av(native_)->pts; }
int64_t Packet::dts() const noexcept { return av(native_)->dts; }
int64_t Packet::duration() const noexcept { return av(native_)->duration; }
int64_t Packet::pos() const noexcept { return av(native_)->pos; }
bool Packet::keyframe() const noexcept { return av(native_)->flags & AV_PKT_FLAG_KEY; }
bool Packet::discard() const noexcept { return av(native_)->flags & AV_PKT_FLAG_DISCARD; }
int Packet::stream_index() const noexcept { return av(native_)->stream_index; }

void Packet::assign(std::span<const std::uint8_t> bytes, int64_t pts, int64_t dts, int64_t duration, bool keyframe) {
  AVPacket* p = av(native_);
  av_packet_unref(p);
  if (bytes.size() > static_cast<size_t>(INT32_MAX - AV_INPUT_BUFFER_PADDING_SIZE))
    throw Error(Errc::LimitExceeded, "Packet::assign", "packet of " + std::to_string(bytes.size()) + " bytes");
  const int ret = av_new_packet(p, static_cast<int>(bytes.size()));
  if (ret < 0) detail::throw_av_error(ret, "av_new_packet", "allocating a packet");
  if (!bytes.empty()) std::memcpy(p->data, bytes.data(), bytes.size());
  p->pts = pts;
  p->dts = dts;
  p->duration = duration;
  if (keyframe) p->flags |= AV_PKT_FLAG_KEY;
}

AVPacket* detail::NativeAccess::packet(Packet& p) noexcept { return av(p.native_); }
const AVPacket* detail::NativeAccess::packet(const Packet& p) noexcept { return av(p.native_); }

// --------------------------------------------------------------------------- Demuxer

struct Demuxer::Impl {
  std::string name;
  std::unique_ptr<detail::AvioSource> avio;  // memory and stdin inputs
  AVFormatContext* fmt = nullptr;
  detail::PacketPtr scratch;
  detail::PacketPtr peeked;  // the first video packet, read at open (encryption check)
  bool has_peeked = false;
  int stream = -1;
  int64_t max_end_ts = AV_NOPTS_VALUE;  // latest pts + duration seen, stream time base
  int64_t packets = 0;
  bool after_seek = false;  // the truncation check needs a read from the start
  MediaInfo info;

  ~Impl() { avformat_close_input(&fmt); }

  void open(const InputSource& input, const DemuxOptions& options);
  void open_file(const std::string& path);
  void open_custom(const InputSource& input);
  void select_stream(const DemuxOptions& options);
  void check_limits(const Limits& limits) const;
  [[noreturn]] void fail_read(int ret) const;
  void note_packet(const AVPacket* pkt);
  bool keep_audio = false;
  std::deque<detail::PacketPtr> audio_queue;
  void peek_first_packet();
  void check_complete() const;
};

void Demuxer::Impl::note_packet(const AVPacket* pkt) {
  ++packets;
  const int64_t ts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
  if (ts == AV_NOPTS_VALUE) return;
  const int64_t end = ts + (pkt->duration > 0 ? pkt->duration : 0);
  if (max_end_ts == AV_NOPTS_VALUE || end > max_end_ts) max_end_ts = end;
}

// Note [Truncation]: libavformat ends MP4 and Matroska inputs that stop early with a
// plain end-of-file (it only logs "partial file" / "File ended prematurely"). Where the
// container's header states the duration, compare it with the timestamps actually read
// so that a truncated file is an error rather than a short video pretending to be whole.
void Demuxer::Impl::check_complete() const {
  if (after_seek) return;
  if (packets == 0)
    throw Error(Errc::InvalidData, name, "the video stream has no data (file truncated or empty)");
  if (fmt->duration_estimation_method != AVFMT_DURATION_FROM_STREAM || max_end_ts == AV_NOPTS_VALUE) return;
  const AVStream* st = fmt->streams[stream];
  const AVRational tb = st->time_base;
  int64_t expected_end;
  if (st->duration != AV_NOPTS_VALUE && st->duration > 0) {
    expected_end = (st->start_time != AV_NOPTS_VALUE ? st->start_time : 0) + st->duration;
  } else if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0) {
    // Matroska's Segment Duration is written by FFmpeg's muxer as the end timestamp, not
    // as a length from the first one: a file starting at 1 s with 0.8 s of video says
    // 1.8 s. Taken as the end, a truncation is still caught, with that reading.
    const bool end_timestamp = std::strstr(fmt->iformat->name, "matroska") != nullptr;
    const int64_t start = fmt->start_time != AV_NOPTS_VALUE && !end_timestamp ? fmt->start_time : 0;
    expected_end = av_rescale_q(start + fmt->duration, AV_TIME_BASE_Q, tb);
  } else {
    return;
  }
  const double expected_s = static_cast<double>(expected_end) * av_q2d(tb);
  const double got_s = static_cast<double>(max_end_ts) * av_q2d(tb);
  const double frame_s = info.video.fps.num > 0 ? 1.0 / info.video.fps.value() : 0.1;
  const double start_s = st->start_time != AV_NOPTS_VALUE ? static_cast<double>(st->start_time) * av_q2d(tb) : 0.0;
  const double tolerance = 2 * frame_s + 0.01 * (expected_s - start_s);
  if (got_s < expected_s - tolerance) {
    char msg[256];
    std::snprintf(msg, sizeof msg,
                  "file is truncated: the container declares video up to %.3f s but the data ends at %.3f s",
                  expected_s, got_s);
    throw Error(Errc::InvalidData, name, msg);
  }
}

void Demuxer::Impl::open_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) throw Error(Errc::NotFound, path, "no such file");
    throw Error(Errc::Io, path, std::string("cannot open: ") + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw Error(Errc::InvalidArgument, path, "is a directory, not a media file");
  if (S_ISREG(st.st_mode) && st.st_size == 0) throw Error(Errc::InvalidData, path, "file is empty");
  // "file:" keeps a path with a colon from being read as a protocol name.
  const std::string url = (path.find(':') != std::string::npos && path[0] != '/') ? "file:" + path : path;
  const int ret = avformat_open_input(&fmt, url.c_str(), nullptr, nullptr);
  if (ret == AVERROR_INVALIDDATA)
    throw Error(Errc::InvalidData, path, "not a recognised media file, or its header is corrupt or truncated");
  if (ret == AVERROR(EIO) || ret == AVERROR_EOF || ret == AVERROR(EINVAL))
    throw Error(Errc::InvalidData, path, "header is corrupt or truncated (" + av_error_text(ret) + ")");
  if (ret < 0) detail::throw_av_error(ret, path, "cannot open");
}

void Demuxer::Impl::open_custom(const InputSource& input) {
  if (input.kind() == InputSource::Kind::Memory) {
    if (input.bytes().empty()) throw Error(Errc::InvalidData, name, "buffer is empty");
    avio = detail::AvioSource::from_memory(input.bytes());
  } else {
    avio = detail::AvioSource::from_fd(0);
  }
  const AVInputFormat* iformat = nullptr;
  int ret = av_probe_input_buffer2(avio->context(), &iformat, name.c_str(), nullptr, 0, 0);
  if (ret == AVERROR_EOF) throw Error(Errc::InvalidData, name, "input is empty");
  if (ret < 0) throw Error(Errc::InvalidData, name, "not a recognised media file (" + av_error_text(ret) + ")");
  fmt = avformat_alloc_context();
  if (!fmt) throw Error(Errc::OutOfMemory, "avformat_alloc_context", "cannot allocate a demuxer");
  fmt->pb = avio->context();
  fmt->flags |= AVFMT_FLAG_CUSTOM_IO;
  ret = avformat_open_input(&fmt, name.c_str(), iformat, nullptr);  // frees fmt on failure
  const bool mp4 = iformat && std::strstr(iformat->name, "mp4") != nullptr;
  const char* moov_at_end =
      "this MP4 keeps its index (moov) after the media data, which a pipe cannot seek back to: "
      "pass the file by path, or remux it with `ffmpeg -i IN -c copy -movflags +faststart OUT.mp4` "
      "(or send MPEG-TS or MKV through pipes)";
  if (ret < 0) {
    if (mp4 && !avio->seekable()) throw Error(Errc::Unsupported, name, moov_at_end);
    if (ret == AVERROR(ENOMEM)) detail::throw_av_error(ret, name, "cannot open");
    throw Error(Errc::InvalidData, name,
                "header is corrupt or truncated (" + std::string(iformat->name) + ": " + av_error_text(ret) + ")");
  }
  if (mp4 && !avio->seekable()) {
    // Having read the header, a pipe is already past the first sample if the index came last.
    const int64_t here = avio_tell(fmt->pb);
    for (unsigned i = 0; i < fmt->nb_streams; ++i) {
      const AVIndexEntry* first = avformat_index_get_entry(fmt->streams[i], 0);
      if (first && first->pos < here) throw Error(Errc::Unsupported, name, moov_at_end);
    }
  }
}

void Demuxer::Impl::select_stream(const DemuxOptions& options) {
  int ret = avformat_find_stream_info(fmt, nullptr);
  if (ret < 0) detail::throw_av_error(ret, name, "cannot read stream information");
  if (options.stream_index >= 0) {
    if (options.stream_index >= static_cast<int>(fmt->nb_streams) ||
        fmt->streams[options.stream_index]->codecpar->codec_type != AVMEDIA_TYPE_VIDEO)
      throw Error(Errc::NotFound, name, "stream " + std::to_string(options.stream_index) + " is not a video stream");
    stream = options.stream_index;
  } else {
    // The first video stream, as `ffmpeg -map 0:v:0` picks it (outputs must match the
    // ffmpeg program's), skipping cover art that some files store as a video stream.
    for (unsigned i = 0; i < fmt->nb_streams && stream < 0; ++i) {
      const AVStream* st = fmt->streams[i];
      if (st->codecpar->codec_type == AVMEDIA_TYPE_VIDEO && !(st->disposition & AV_DISPOSITION_ATTACHED_PIC))
        stream = static_cast<int>(i);
    }
  }
  if (stream < 0) {
    int audio = 0;
    for (unsigned i = 0; i < fmt->nb_streams; ++i)
      audio += fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO;
    throw Error(Errc::Unsupported, name,
                audio ? "no video stream (audio-only file with " + std::to_string(audio) + " audio stream" +
                            (audio > 1 ? "s)" : ")")
                      : std::string("no video stream"));
  }
  // Read only the selected video stream, and the audio streams when they are copied.
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    const bool audio = fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO;
    if (static_cast<int>(i) != stream && !(audio && options.keep_audio)) fmt->streams[i]->discard = AVDISCARD_ALL;
  }
  keep_audio = options.keep_audio;
  info = detail::describe(fmt, stream);
}

void Demuxer::Impl::check_limits(const Limits& limits) const {
  const VideoStreamInfo& v = info.video;
  if (v.width <= 0 || v.height <= 0)
    throw Error(Errc::InvalidData, name, "video stream has no frame size (corrupt or missing header)");
  auto over = [&](const char* what, int64_t value, int64_t limit) {
    throw Error(Errc::LimitExceeded, name,
                std::string(what) + " " + std::to_string(value) + " exceeds the limit of " +
                    std::to_string(limit) + " (raise Limits::" + what + " if this input is trusted)");
  };
  if (v.width > limits.max_width) over("max_width", v.width, limits.max_width);
  if (v.height > limits.max_height) over("max_height", v.height, limits.max_height);
  const int64_t pixels = int64_t{v.width} * v.height;
  if (pixels > limits.max_pixels) over("max_pixels", pixels, limits.max_pixels);
}

void Demuxer::Impl::open(const InputSource& input, const DemuxOptions& options) {
  name = input.name();
  if (input.kind() == InputSource::Kind::File) {
    open_file(input.name());
  } else {
    open_custom(input);
  }
  select_stream(options);
  check_limits(options.limits);
  scratch = detail::make_packet();
  peek_first_packet();
}

// Reads ahead to the first video packet so that input the engine cannot use is refused
// at open: encrypted (CENC/cbcs) samples carry AV_PKT_DATA_ENCRYPTION_INFO.
void Demuxer::Impl::peek_first_packet() {
  peeked = detail::make_packet();
  for (;;) {
    const int ret = av_read_frame(fmt, peeked.get());
    if (ret < 0) return;  // errors and end of file surface on the first read()
    if (peeked->stream_index == stream) break;
    if (keep_audio && fmt->streams[peeked->stream_index]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
      detail::PacketPtr keep = detail::make_packet();
      av_packet_move_ref(keep.get(), peeked.get());
      audio_queue.push_back(std::move(keep));
    }
    av_packet_unref(peeked.get());
  }
  has_peeked = true;
  if (av_packet_get_side_data(peeked.get(), AV_PKT_DATA_ENCRYPTION_INFO, nullptr))
    throw Error(Errc::Unsupported, name,
                "the video is encrypted (CENC/cbcs): cuframe does not decrypt; decrypt it first, e.g. "
                "`ffmpeg -decryption_key KEY -i IN -c copy OUT.mp4`");
}

void Demuxer::Impl::fail_read(int ret) const {
  if (ret == AVERROR(ENOMEM) || ret == AVERROR_EXIT) detail::throw_av_error(ret, name, "reading a packet");
  throw Error(Errc::InvalidData, name,
              "container data is corrupt or truncated at byte " + std::to_string(avio_tell(fmt->pb)) + " (" +
                  av_error_text(ret) + ")");
}

Demuxer::Demuxer(const InputSource& input, const DemuxOptions& options) : impl_(std::make_unique<Impl>()) {
  impl_->open(input, options);
}
Demuxer::~Demuxer() = default;
Demuxer::Demuxer(Demuxer&&) noexcept = default;
Demuxer& Demuxer::operator=(Demuxer&&) noexcept = default;

const MediaInfo& Demuxer::info() const noexcept { return impl_->info; }
const std::string& Demuxer::name() const noexcept { return impl_->name; }
const AVCodecParameters* detail::NativeAccess::codec_parameters(const Demuxer& d) noexcept {
  return d.impl_->fmt->streams[d.impl_->stream]->codecpar;
}
int64_t Demuxer::bytes_read() const noexcept { return impl_->fmt->pb ? avio_tell(impl_->fmt->pb) : 0; }

bool Demuxer::read_audio(Packet& packet) {
  Impl& m = *impl_;
  if (m.audio_queue.empty()) return false;
  av_packet_unref(detail::native(packet));
  av_packet_move_ref(detail::native(packet), m.audio_queue.front().get());
  m.audio_queue.pop_front();
  return true;
}

std::vector<int> Demuxer::audio_streams() const {
  std::vector<int> out;
  for (unsigned i = 0; i < impl_->fmt->nb_streams; ++i)
    if (impl_->fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) out.push_back(static_cast<int>(i));
  return out;
}

const AVStream* detail::NativeAccess::stream(const Demuxer& d, int index) {
  if (index < 0 || index >= static_cast<int>(d.impl_->fmt->nb_streams))
    throw Error(Errc::InvalidArgument, d.impl_->name, "no stream " + std::to_string(index));
  return d.impl_->fmt->streams[index];
}

bool Demuxer::seekable() const noexcept {
  return impl_->fmt->pb && (impl_->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL) &&
         !(impl_->fmt->iformat->flags & AVFMT_NOTIMESTAMPS);
}

void Demuxer::seek(int64_t pts) {
  Impl& m = *impl_;
  if (!seekable()) throw Error(Errc::Unsupported, m.name, "input cannot be seeked (a pipe, or a format without timestamps)");
  int ret = av_seek_frame(m.fmt, m.stream, pts, AVSEEK_FLAG_BACKWARD);
  if (ret < 0) ret = avformat_seek_file(m.fmt, m.stream, INT64_MIN, pts, pts, 0);
  if (ret < 0) detail::throw_av_error(ret, m.name, "seeking");
  m.after_seek = true;
  if (m.has_peeked) av_packet_unref(m.peeked.get());
  m.has_peeked = false;
  m.audio_queue.clear();
}

bool Demuxer::read(Packet& packet) {
  Impl& m = *impl_;
  AVPacket* out = detail::native(packet);
  av_packet_unref(out);
  for (;;) {
    int ret = 0;
    if (m.has_peeked) {
      av_packet_move_ref(m.scratch.get(), m.peeked.get());
      m.has_peeked = false;
    } else {
      ret = av_read_frame(m.fmt, m.scratch.get());
    }
    if (ret == AVERROR_EOF) {
      if (m.fmt->pb && m.fmt->pb->error < 0 && m.fmt->pb->error != AVERROR_EOF) m.fail_read(m.fmt->pb->error);
      m.check_complete();
      return false;
    }
    if (ret < 0) m.fail_read(ret);
    if (m.scratch->stream_index != m.stream) {
      if (m.keep_audio && m.fmt->streams[m.scratch->stream_index]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
        detail::PacketPtr keep = detail::make_packet();
        av_packet_move_ref(keep.get(), m.scratch.get());
        m.audio_queue.push_back(std::move(keep));
      }
      av_packet_unref(m.scratch.get());
      continue;
    }
    m.note_packet(m.scratch.get());
    av_packet_move_ref(out, m.scratch.get());
    return true;
  }
}

}  // namespace cuframe
