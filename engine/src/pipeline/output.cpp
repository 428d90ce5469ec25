#include "pipeline/output.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
#include <string>

#include "cuframe/error.hpp"
#include "cuframe/op_chain.hpp"

namespace cuframe::detail {

namespace {

bool raw_video(ContainerFormat f) { return f == ContainerFormat::H264 || f == ContainerFormat::Hevc; }

}  // namespace

void LatencyLog::read(int64_t pts) {
  std::lock_guard<std::mutex> hold(m_);
  read_at_.emplace(pts, Clock::now());
}

void LatencyLog::written(int64_t pts, std::vector<double>& latency_ms) {
  std::lock_guard<std::mutex> hold(m_);
  auto it = read_at_.find(pts);
  if (it != read_at_.end()) {
    latency_ms.push_back(1000.0 * std::chrono::duration<double>(Clock::now() - it->second).count());
    read_at_.erase(read_at_.begin(), std::next(it));
  }
}

void Output::plan(const FrameLayout& decoded, const VideoStreamInfo& v) {
  const FrameLayout out = layout_after(options_.ops, decoded);
  params_.width = out.width;
  params_.height = out.height;
  params_.format = out.format;
  params_.bit_depth = out.format == PixelFormat::NV12 || out.format == PixelFormat::YUV444P ? 8 : v.bit_depth;
  params_.color = v.color;
  params_.time_base = v.time_base.num > 0 ? v.time_base : Rational{1, 90000};
  stream_tb_ = params_.time_base;
  // Raw Annex-B keeps no timestamps: the encoder counts frames (1/fps), so that the
  // stream's timing information says the frame rate, as the ffmpeg program writes it.
  if (raw_video(mux_.format()) && v.fps.num > 0 && v.fps.den > 0) params_.time_base = Rational{v.fps.den, v.fps.num};
  params_.frame_rate = v.fps;
  params_.sar = v.sar;
  params_.global_header = wants_global_header(mux_.format());
  stats_.width = out.width;
  stats_.height = out.height;
  if (v.fps.num > 0 && v.fps.den > 0) {
    // One frame in the stream's time base, for streams whose frames lack timestamps.
    const double d = static_cast<double>(params_.time_base.den) * v.fps.den /
                     (static_cast<double>(params_.time_base.num) * v.fps.num);
    frame_duration_ = std::max<int64_t>(1, static_cast<int64_t>(d + 0.5));
  }
}

void Output::open(const Demuxer* source, bool audio_available, int input_buffers) {
  EncodeOptions e = options_.encode;
  if (live()) e.low_latency = true;
  e.input_buffers = input_buffers;
  if (std::string problem = validate_encode_options(params_, e); !problem.empty())
    throw Error(Errc::InvalidArgument, mux_.name(), problem);
  encoder_ = open_encoder(params_, e);
  stats_.encoder = encoder_->description();
  stats_.encoder_fallback = encoder_->fallback_reason();
  mux_.add_video({e.codec, params_, encoder_->extradata()}, source);
  if (source && audio_available) {
    const bool raw = raw_video(mux_.format());
    for (int index : source->audio_streams()) {
      if (raw) {
        if (options_.notice)
          options_.notice(std::string("audio stream ") + std::to_string(index) + " dropped: a raw " +
                          to_string(mux_.format()) + " output holds video only");
        continue;
      }
      mux_.add_copy(*source, index);
    }
  }
  mux_.begin();
}

void Output::fix_timestamps(FrameBatch& b) {
  for (int i = 0; i < b.size(); ++i) {
    FrameInfo& f = b.info(i);
    if (f.pts != kNoTimestamp && !(stream_tb_ == params_.time_base)) {
      const long double t = static_cast<long double>(f.pts) * stream_tb_.num * params_.time_base.den /
                            (static_cast<long double>(stream_tb_.den) * params_.time_base.num);
      f.pts = static_cast<int64_t>(std::llround(t));
      f.duration = 0;
    }
    if (f.pts == kNoTimestamp || (last_pts_ != kNoTimestamp && f.pts <= last_pts_))
      f.pts = last_pts_ == kNoTimestamp ? 0 : last_pts_ + frame_duration_;
    last_pts_ = f.pts;
  }
}

const FrameBatch& Output::encoder_input(FrameBatch& r, std::optional<FrameBatch>& staging,
                                        const CudaStream* stream) {
  const bool wants_device = encoder_->backend() == EncoderBackend::Nvenc;
  const bool on_device = r.memory() == MemoryKind::Device;
  if (wants_device == on_device) return r;
  if (!staging)
    staging.emplace(r.layout(), r.capacity(), wants_device ? MemoryKind::Device : MemoryKind::Pinned,
                    options_.decode.device);
  FrameBatch& st = *staging;
  st.resize(r.size());
  stream->copy_async(st.data(), r.data(), r.layout().frame_stride * static_cast<size_t>(r.size()));
  if (!wants_device) stream->synchronize();  // the CPU encoder reads the host copy next
  for (int i = 0; i < r.size(); ++i) st.info(i) = r.info(i);
  st.color = r.color;
  st.time_base = r.time_base;
  return st;
}

void Output::write_packets() {
  while (encoder_->receive(out_packet_)) {
    const int64_t pts = out_packet_.pts();
    mux_.write_video(out_packet_);
    if (live()) latency_.written(pts, stats_.latency_ms);
  }
}

void Output::copy_audio(Demuxer& d) {
  while (d.read_audio(audio_packet_)) mux_.write_copy(audio_packet_);
}

}  // namespace cuframe::detail
