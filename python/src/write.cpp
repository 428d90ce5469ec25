// cuframe.VideoWriter and cuframe.transcode.
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/shared_ptr.h>

#include <atomic>
#include <cstring>
#include <exception>
#include <filesystem>
#include <mutex>
#include <nanobind/stl/tuple.h>

#include "binding.hpp"

namespace cuframe::py {

namespace {

Codec parse_codec(const std::string& c) {
  if (c == "h264") return Codec::H264;
  if (c == "hevc" || c == "h265") return Codec::HEVC;
  if (c == "av1") return Codec::AV1;
  throw Error(Errc::InvalidArgument, "codec=" + c, "use h264, hevc or av1");
}

EncoderBackend encoder_backend(const std::string& device) {
  const DeviceChoice d = parse_device(device);
  return d.backend == Backend::Cpu ? EncoderBackend::Cpu
         : d.backend == Backend::Nvdec ? EncoderBackend::Nvenc : EncoderBackend::Auto;
}

template <class T>
T take(nb::dict& d, const char* key, T fallback) {
  if (!d.contains(key)) return fallback;
  nb::object v = d[key];
  PyDict_DelItemString(d.ptr(), key);
  return v.is_none() ? fallback : nb::cast<T>(v);
}

/// Encoder settings from keyword arguments (the CLI's names); takes them out of `d`.
EncodeOptions encode_options(const std::string& codec, const std::string& device, nb::dict& d) {
  EncodeOptions e;
  e.codec = parse_codec(codec);
  e.backend = encoder_backend(device);
  e.device = parse_device(device).device;
  e.preset = take<std::string>(d, "preset", "");
  e.tune = take<std::string>(d, "tune", "");
  e.quality = take<int>(d, "crf", take<int>(d, "quality", -1));
  e.qp = take<int>(d, "qp", -1);
  e.bitrate = take<int64_t>(d, "bitrate", 0);
  e.max_bitrate = take<int64_t>(d, "max_bitrate", 0);
  e.gop = take<int>(d, "gop", -1);
  e.b_frames = take<int>(d, "b_frames", -1);
  e.threads = take<int>(d, "threads", 0);
  const std::string rc = take<std::string>(d, "rate_control", "");
  if (rc == "crf") e.rate_control = RateControl::Crf;
  else if (rc == "qp") e.rate_control = RateControl::ConstQp;
  else if (rc == "vbr") e.rate_control = RateControl::Vbr;
  else if (rc == "cbr") e.rate_control = RateControl::Cbr;
  else if (!rc.empty()) throw Error(Errc::InvalidArgument, "rate_control=" + rc, "use crf, qp, vbr or cbr");
  else if (e.qp >= 0) e.rate_control = RateControl::ConstQp;
  else if (e.bitrate > 0) e.rate_control = RateControl::Vbr;
  else if (e.quality >= 0) e.rate_control = RateControl::Crf;
  return e;
}

void refuse_leftovers(const nb::dict& d, const char* what) {
  if (d.size() == 0) return;
  std::string names;
  for (auto [k, v] : d) names += (names.empty() ? "" : ", ") + nb::cast<std::string>(k);
  throw Error(Errc::InvalidArgument, what, "unknown option(s): " + names);
}

Rational to_rational(const nb::handle& fps) {
  nb::object f = nb::module_::import_("fractions").attr("Fraction")(fps).attr("limit_denominator")(1000000);
  return Rational{nb::cast<int>(f.attr("numerator")), nb::cast<int>(f.attr("denominator"))};
}

class PyWriter {
 public:
  PyWriter(std::string dst, int width, int height, nb::object fps, const std::string& codec, const std::string& device,
           const std::string& pixel_format, const nb::object& like, const std::string& like_name, nb::dict options)
      : pixel_format_(parse_format(pixel_format)) {
    if (pixel_format_ != PixelFormat::RGB24 && pixel_format_ != PixelFormat::BGR24 && pixel_format_ != PixelFormat::Gray8)
      throw Error(Errc::InvalidArgument, "pixel_format=" + pixel_format,
                  "colour arrays are read as rgb24 or bgr24, 2-D frames as gray (FrameBatches carry their own format)");
    WriterSettings s;
    if (!like.is_none()) {
      like_ = make_source(like, like_name);
      nb::gil_scoped_release release;
      s = WriterSettings::like(like_->input, false);
    }
    if (!fps.is_none()) s.frame_rate = to_rational(fps), s.use_timestamps = false;
    s.width = width;
    s.height = height;
    s.encode = encode_options(codec, device, options);
    s.bit_depth = take<int>(options, "bit_depth", 8);
    s.crop_to_even = take<bool>(options, "crop_to_even", false);
    const std::string container = take<std::string>(options, "container", "");
    if (!container.empty()) s.container = parse_container(container);
    const std::string matrix = take<std::string>(options, "matrix", "");
    if (matrix == "bt601") s.matrix = ColorMatrix::BT601;
    else if (matrix == "bt709") s.matrix = ColorMatrix::BT709;
    else if (matrix == "bt2020") s.matrix = ColorMatrix::BT2020;
    else if (!matrix.empty()) throw Error(Errc::InvalidArgument, "matrix=" + matrix, "use bt601, bt709 or bt2020");
    const std::string range = take<std::string>(options, "range", "");
    if (range == "limited") s.range = ColorRange::Limited;
    else if (range == "full") s.range = ColorRange::Full;
    else if (!range.empty()) throw Error(Errc::InvalidArgument, "range=" + range, "use limited or full");
    refuse_leftovers(options, "VideoWriter");
    writer_ = std::make_unique<VideoWriter>(std::move(dst), s);
  }

  void write(const nb::object& x) {
    if (nb::isinstance<PyBatch>(x)) {
      const PyBatch& b = nb::cast<const PyBatch&>(x);
      nb::gil_scoped_release release;
      std::lock_guard lock(mutex_);
      writer_->write(b.frames(), b.state->stream.get());
      return;
    }
    // Any uint8 array: NumPy, or torch / CuPy through DLPack (host or device). A device
    // array is taken on the writer's stream (DLPack orders it after the producer's work).
    nb::object source = x;
    if (nb::hasattr(x, "__dlpack__") && nb::hasattr(x, "__dlpack_device__")) {
      auto [type, id] = nb::cast<std::tuple<int, int>>(x.attr("__dlpack_device__")());
      if (type == nb::device::cuda::value) {
        if (!stream_ || stream_->device() != id) stream_.emplace(id);
        source = x.attr("__dlpack__")(nb::arg("stream") = reinterpret_cast<std::uintptr_t>(stream_->get()));
      }
    }
    auto a = nb::cast<nb::ndarray<nb::ro>>(source);
    if (a.dtype() != nb::dtype<uint8_t>())
      throw nb::type_error("VideoWriter.write takes uint8 frames (convert with .astype(numpy.uint8) or to_uint8)");
    // (N,H,W,3) and (H,W,3): colour, as pixel_format (rgb24 or bgr24); (N,H,W) and (H,W): gray.
    const size_t nd = a.ndim();
    if (nd == 3 && (a.shape(2) == 1 || a.shape(2) == 4) && pixel_format_ != PixelFormat::Gray8)
      throw Error(Errc::InvalidArgument, "VideoWriter.write",
                  "a frame of " + std::to_string(a.shape(2)) + " channels: give (H, W, 3) colour or (H, W) gray frames "
                  "((N, H, W) is a batch of gray frames)");
    const bool gray = pixel_format_ == PixelFormat::Gray8 || nd == 2 || (nd == 3 && a.shape(2) != 3);
    const bool batched = gray ? nd == 3 : nd == 4;
    if (nd < 2 || nd > 4 || (gray && nd == 4) || (!gray && a.shape(nd - 1) != 3))
      throw Error(Errc::InvalidArgument, "VideoWriter.write",
                  "expected uint8 frames (H, W, 3) or (N, H, W, 3) (" + std::string(to_string(pixel_format_)) +
                      "), or (H, W) or (N, H, W) (gray); got " + std::to_string(nd) + " dimensions");
    const PixelFormat format = gray ? PixelFormat::Gray8 : pixel_format_;
    const int n = batched ? static_cast<int>(a.shape(0)) : 1;
    const int h = static_cast<int>(a.shape(batched ? 1 : 0)), w = static_cast<int>(a.shape(batched ? 2 : 1));
    const size_t px = gray ? 1 : 3;
    // Row strides may be anything; pixels within a row must be packed.
    const int64_t sx = a.stride(batched ? 2 : 1), sc = gray ? 1 : a.stride(nd - 1);
    if (sx != static_cast<int64_t>(px) || sc != 1)
      throw Error(Errc::InvalidArgument, "VideoWriter.write", "the pixels of a row must be packed (use a contiguous array)");
    const int64_t srow = a.stride(batched ? 1 : 0), sframe = batched ? a.stride(0) : 0;
    const bool device = a.device_type() == nb::device::cuda::value;
    const FrameLayout layout = make_layout(format, w, h);
    const MemoryKind memory = device ? MemoryKind::Device : MemoryKind::Host;
    const auto* base = reinterpret_cast<const std::byte*>(a.data());
    nb::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    if (!staging_ || staging_->layout() != layout || staging_->memory() != memory || staging_->capacity() < std::min(n, 8))
      staging_.emplace(layout, std::min(std::max(n, 1), 8), memory, device ? a.device_id() : 0);
    for (int first = 0; first < n; first += staging_->capacity()) {
      const int count = std::min(staging_->capacity(), n - first);
      staging_->resize(count);
      for (int i = 0; i < count; ++i) {
        const std::byte* src = base + (first + i) * sframe;
        std::byte* dst = staging_->plane(i, 0);
        if (device) {
          stream_->copy_2d_async(dst, layout.planes[0].pitch, src, static_cast<size_t>(srow), w * px, h);
        } else {
          for (int y = 0; y < h; ++y) std::memcpy(dst + y * layout.planes[0].pitch, src + y * srow, w * px);
        }
      }
      writer_->write(*staging_, device ? &*stream_ : nullptr);
    }
  }

  void close() {
    nb::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    writer_->close();
  }
  nb::dict encoder() const {
    nb::dict d;
    d["description"] = writer_->description();
    d["fallback_reason"] = writer_->fallback_reason();
    return d;
  }
  int64_t frames_written() const { return writer_->frames_written(); }
  bool is_open() const { return writer_->is_open(); }

 private:
  std::mutex mutex_;  // one thread at a time (taken after the GIL is released)
  PixelFormat pixel_format_;
  std::optional<Source> like_;
  std::unique_ptr<VideoWriter> writer_;
  std::optional<FrameBatch> staging_;
  std::optional<CudaStream> stream_;
};

nb::dict stats_dict(const TranscodeStats& st) {
  nb::dict d;
  d["frames"] = st.frames;
  d["seconds"] = st.seconds;
  d["interrupted"] = st.interrupted;
  d["decoder"] = st.decoder;
  d["decode_sessions"] = st.decode_sessions;
  d["encoder"] = st.encoder;
  d["encoder_fallback"] = st.encoder_fallback;
  d["width"] = st.width;
  d["height"] = st.height;
  d["peak_host_bytes"] = st.peak_host_bytes;
  d["peak_device_bytes"] = st.peak_device_bytes;
  d["chunk_frames"] = st.chunk_frames;
  d["ring_chunks"] = st.ring_chunks;
  nb::dict stages;
  for (const StageStats& s : st.stages) stages[s.name.c_str()] = s.busy_s;
  d["stage_busy_s"] = stages;
  return d;
}

/// Runs a transcode on its own thread while this one (GIL released) watches for Ctrl-C:
/// on one, the transcode is cancelled, its output removed, and KeyboardInterrupt raised.
nb::dict transcode(const nb::object& src, const std::string& name, const std::string& dst, const std::string& ops,
                   const std::string& codec, const std::string& mode, const std::string& device, nb::object progress,
                   nb::dict options) {
  Source source = make_source(src, name);
  TranscodeOptions o;
  o.ops = parse_ops(ops);
  if (mode == "stream") o.mode = PipelineMode::Stream;
  else if (mode == "resident") o.mode = PipelineMode::Resident;
  else if (mode == "live") o.mode = PipelineMode::Live;
  else throw Error(Errc::InvalidArgument, "mode=" + mode, "use stream, resident or live");
  const DeviceChoice d = parse_device(device);
  o.decode.backend = d.backend;
  o.decode.device = d.device;
  o.encode = encode_options(codec, device, options);
  o.chunk = take<int>(options, "chunk", 0);
  o.ring = take<int>(options, "ring", 0);
  o.decode_sessions = take<int>(options, "decode_sessions", 0);
  o.copy_audio = take<bool>(options, "copy_audio", true);
  o.decode.conceal_errors = take<bool>(options, "conceal_errors", false);
  const std::string container = take<std::string>(options, "container", "");
  if (!container.empty()) o.mux.format = parse_container(container);
  refuse_leftovers(options, "transcode");
  std::atomic<bool> cancel{false};
  o.cancel = &cancel;
  std::exception_ptr callback_error;
  if (!progress.is_none()) {
    o.progress = [&](const TranscodeProgress& p) {
      nb::gil_scoped_acquire acquire;
      try {
        progress(p.frames, p.total, p.seconds);
      } catch (...) {
        if (!callback_error) callback_error = std::current_exception();
        cancel = true;
      }
    };
  }
  TranscodeStats stats;
  try {
    run_interruptible([&] { stats = cuframe::transcode(source.input, dst, o); }, cancel);
  } catch (...) {
    // A Ctrl-C (KeyboardInterrupt) or a failing progress callback cancelled it: the engine
    // finished a shorter file, which is removed (complete or absent).
    if (callback_error || PyErr_Occurred() || cancel) {
      std::error_code ec;
      if (dst != "-" && cancel) std::filesystem::remove(dst, ec);
    }
    if (callback_error) std::rethrow_exception(callback_error);
    throw;
  }
  if (callback_error) {
    std::error_code ec;
    if (dst != "-") std::filesystem::remove(dst, ec);
    std::rethrow_exception(callback_error);
  }
  return stats_dict(stats);
}

}  // namespace

void bind_write(nb::module_& m) {
  nb::class_<PyWriter>(m, "_Writer")
      .def(nb::init<std::string, int, int, nb::object, const std::string&, const std::string&, const std::string&,
                    const nb::object&, const std::string&, nb::dict>(),
           nb::arg("dst"), nb::arg("width"), nb::arg("height"), nb::arg("fps").none(), nb::arg("codec"),
           nb::arg("device"), nb::arg("pixel_format"), nb::arg("like").none(), nb::arg("like_name"), nb::arg("options"))
      .def("write", &PyWriter::write)
      .def("close", &PyWriter::close)
      .def("encoder", &PyWriter::encoder)
      .def("frames_written", &PyWriter::frames_written)
      .def("is_open", &PyWriter::is_open);
  m.def("_transcode", &transcode, nb::arg("src"), nb::arg("name"), nb::arg("dst"), nb::arg("ops"), nb::arg("codec"),
        nb::arg("mode"), nb::arg("device"), nb::arg("progress").none(), nb::arg("options"));
}

}  // namespace cuframe::py
