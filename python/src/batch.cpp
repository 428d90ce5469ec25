// cuframe.FrameBatch and cuframe.Array: frames as arrays without copies (Note [Python
// lifetimes], Note [Python streams]).
#include <nanobind/ndarray.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/shared_ptr.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "binding.hpp"

namespace cuframe::py {

namespace {

constexpr int kDLCPU = 1, kDLCUDA = 2;

/// One array over a batch's memory: a plane, or the whole frame of a one-plane format.
struct Array {
  std::shared_ptr<BatchState> state;
  std::size_t offset = 0;  ///< bytes from frames.data()
  nb::dlpack::dtype dtype{};
  int itemsize = 1;
  char format[2] = {'B', 0};  ///< buffer protocol format
  const char* typestr = "|u1";
  std::vector<Py_ssize_t> shape, strides;  ///< strides in bytes

  bool on_device() const { return state->frames.memory() == MemoryKind::Device; }
  void* data() const { return const_cast<std::byte*>(state->frames.data()) + offset; }
};

Array make_array(const std::shared_ptr<BatchState>& s, std::size_t offset, std::vector<Py_ssize_t> shape,
                 std::vector<Py_ssize_t> strides, int sample_bytes, bool is_float) {
  Array a;
  a.state = s;
  a.offset = offset;
  a.itemsize = sample_bytes;
  a.shape = std::move(shape);
  a.strides = std::move(strides);
  if (is_float) {
    a.dtype = sample_bytes == 4 ? nb::dtype<float>() : nb::dlpack::dtype{static_cast<uint8_t>(nb::dlpack::dtype_code::Float), 16, 1};
    a.format[0] = sample_bytes == 4 ? 'f' : 'e';
    a.typestr = sample_bytes == 4 ? "<f4" : "<f2";
  } else {
    a.dtype = sample_bytes == 2 ? nb::dtype<uint16_t>() : nb::dtype<uint8_t>();
    a.format[0] = sample_bytes == 2 ? 'H' : 'B';
    a.typestr = sample_bytes == 2 ? "<u2" : "|u1";
  }
  return a;
}

int sample_bytes(PixelFormat f) {
  switch (f) {
    case PixelFormat::P016: case PixelFormat::YUV444P16: case PixelFormat::RGBPF16: return 2;
    case PixelFormat::RGBPF32: return 4;
    default: return 1;
  }
}

/// The arrays of `.planes`, shapes as the table gives them.
std::vector<Array> plane_arrays(const std::shared_ptr<BatchState>& s) {
  const FrameBatch& b = s->frames;
  const FrameLayout& l = b.layout();
  const auto n = static_cast<Py_ssize_t>(b.size()), fs = static_cast<Py_ssize_t>(l.frame_stride);
  const int bytes = sample_bytes(l.format);
  const bool flt = l.format == PixelFormat::RGBPF32 || l.format == PixelFormat::RGBPF16;
  const Py_ssize_t h = l.height, w = l.width;
  std::vector<Array> out;
  switch (l.format) {
    case PixelFormat::NV12: case PixelFormat::P016: {
      const auto py = static_cast<Py_ssize_t>(l.planes[0].pitch), puv = static_cast<Py_ssize_t>(l.planes[1].pitch);
      out.push_back(make_array(s, l.planes[0].offset, {n, h, w}, {fs, py, bytes}, bytes, false));
      out.push_back(make_array(s, l.planes[1].offset, {n, (h + 1) / 2, (w + 1) / 2, 2}, {fs, puv, 2 * bytes, bytes},
                               bytes, false));
      break;
    }
    case PixelFormat::YUV444P: case PixelFormat::YUV444P16:
      for (int p = 0; p < 3; ++p)
        out.push_back(make_array(s, l.planes[p].offset, {n, h, w},
                                 {fs, static_cast<Py_ssize_t>(l.planes[p].pitch), bytes}, bytes, false));
      break;
    case PixelFormat::RGB24: case PixelFormat::BGR24: case PixelFormat::RGBA: {
      const Py_ssize_t c = l.format == PixelFormat::RGBA ? 4 : 3;
      out.push_back(make_array(s, 0, {n, h, w, c}, {fs, static_cast<Py_ssize_t>(l.planes[0].pitch), c, 1}, 1, false));
      break;
    }
    case PixelFormat::Gray8:
      out.push_back(make_array(s, 0, {n, h, w}, {fs, static_cast<Py_ssize_t>(l.planes[0].pitch), 1}, 1, false));
      break;
    case PixelFormat::RGBP: case PixelFormat::RGBPF32: case PixelFormat::RGBPF16: {
      const auto step = static_cast<Py_ssize_t>(l.planes[1].offset - l.planes[0].offset);
      if (static_cast<Py_ssize_t>(l.planes[2].offset - l.planes[1].offset) != step)
        throw Error(Errc::Internal, "frame layout", "planar RGB planes are not evenly spaced");
      out.push_back(make_array(s, l.planes[0].offset, {n, 3, h, w},
                               {fs, step, static_cast<Py_ssize_t>(l.planes[0].pitch), bytes}, bytes, flt));
      break;
    }
  }
  return out;
}

Array single_array(const std::shared_ptr<BatchState>& s) {
  const PixelFormat f = s->frames.layout().format;
  if (f == PixelFormat::NV12 || f == PixelFormat::P016 || f == PixelFormat::YUV444P || f == PixelFormat::YUV444P16)
    throw nb::buffer_error((std::string(to_string(f)) + " frames have " +
                            std::to_string(s->frames.layout().plane_count) +
                            " planes: export one of .planes, or convert with .to(\"rgb24\")")
                               .c_str());
  return plane_arrays(s)[0];
}

std::string where(const FrameBatch& b) {
  return b.memory() == MemoryKind::Device ? "cuda:" + std::to_string(b.device()) : "cpu";
}

[[noreturn]] void device_to_host_error(const Array& a) {
  throw nb::buffer_error(("these frames are in GPU memory (" + where(a.state->frames) +
                          "): call .cpu() for a host copy, or pass them on through DLPack")
                             .c_str());
}

int array_getbuffer(PyObject* self, Py_buffer* view, int flags) {
  Array* a = nullptr;
  try {
    a = nb::inst_ptr<Array>(self);
    if (a->on_device()) device_to_host_error(*a);
  } catch (const nb::builtin_exception& e) {
    PyErr_SetString(PyExc_BufferError, e.what());
    view->obj = nullptr;
    return -1;
  }
  // Rows are pitched: C-contiguous only where the pitch happens to be the row's bytes.
  bool contiguous = true;
  Py_ssize_t expect = a->itemsize;
  for (size_t d = a->shape.size(); d-- > 0;) {
    if (a->shape[d] > 1 && a->strides[d] != expect) contiguous = false;
    expect *= a->shape[d];
  }
  const char* refuse = nullptr;
  if ((flags & PyBUF_STRIDES) != PyBUF_STRIDES && !contiguous)
    refuse = "frames are strided (pitched rows): ask for a strided buffer";
  else if ((flags & (PyBUF_C_CONTIGUOUS | PyBUF_F_CONTIGUOUS | PyBUF_ANY_CONTIGUOUS) & ~PyBUF_STRIDES) && !contiguous)
    refuse = "frames are not contiguous (pitched rows): copy them (numpy.ascontiguousarray) for a contiguous buffer";
  else if ((flags & PyBUF_WRITABLE) && a->state->read_only)
    refuse = "these frames are shared (a cached chunk): they export read-only";
  if (refuse) {
    PyErr_SetString(PyExc_BufferError, refuse);
    view->obj = nullptr;
    return -1;
  }
  Py_ssize_t len = a->itemsize;
  for (Py_ssize_t d : a->shape) len *= d;
  view->buf = a->data();
  view->obj = Py_NewRef(self);
  view->len = len;
  view->readonly = a->state->read_only ? 1 : 0;
  view->itemsize = a->itemsize;
  view->format = (flags & PyBUF_FORMAT) ? a->format : nullptr;
  view->ndim = static_cast<int>(a->shape.size());
  view->shape = a->shape.data();
  view->strides = a->strides.data();
  view->suboffsets = nullptr;
  view->internal = nullptr;
  return 0;
}
void array_releasebuffer(PyObject*, Py_buffer*) {}

PyType_Slot array_slots[] = {{Py_bf_getbuffer, reinterpret_cast<void*>(array_getbuffer)},
                             {Py_bf_releasebuffer, reinterpret_cast<void*>(array_releasebuffer)},
                             {0, nullptr}};

template <class Framework>
nb::object as_ndarray(const Array& a, nb::handle owner, bool host_view) {
  std::vector<size_t> shape(a.shape.begin(), a.shape.end());
  std::vector<int64_t> strides;
  for (Py_ssize_t st : a.strides) strides.push_back(st / a.itemsize);
  const bool dev = a.on_device() && !host_view;
  const int type = dev ? kDLCUDA : kDLCPU, id = dev ? a.state->frames.device() : 0;
  if (a.state->read_only)
    return nb::cast(nb::ndarray<Framework, nb::ro>(a.data(), shape.size(), shape.data(), owner, strides.data(), a.dtype,
                                                   type, id));
  return nb::cast(
      nb::ndarray<Framework>(a.data(), shape.size(), shape.data(), owner, strides.data(), a.dtype, type, id));
}

nb::object numpy_of(const Array& a, nb::handle owner) {
  if (a.on_device()) device_to_host_error(a);  // host frames: complete, nothing to wait for
  return as_ndarray<nb::numpy>(a, owner, false);
}

nb::object array_dunder_array(const Array& a, nb::handle self, nb::handle dtype, nb::handle copy) {
  nb::object arr = numpy_of(a, self);
  const bool force_copy = !copy.is_none() && nb::cast<bool>(copy);
  const bool no_copy = !copy.is_none() && !nb::cast<bool>(copy);
  if (!dtype.is_none()) {
    nb::object np = nb::module_::import_("numpy");
    if (!nb::cast<bool>(np.attr("dtype")(dtype).attr("__eq__")(arr.attr("dtype")))) {
      if (no_copy) throw Error(Errc::InvalidArgument, "__array__", "a different dtype needs a copy, and copy=False forbids it");
      return arr.attr("astype")(dtype);
    }
  }
  return force_copy ? arr.attr("copy")() : arr;
}

/// A copy of the batch's frames in host memory (the one host wait of a device batch).
FrameBatch host_copy(const BatchState& s) {
  const FrameBatch& src = s.frames;
  FrameBatch dst(src.layout(), std::max(1, src.size()), MemoryKind::Host);
  dst.resize(src.size());
  if (src.size() > 0) {
    const std::size_t bytes = src.layout().frame_stride * static_cast<std::size_t>(src.size());
    if (src.memory() == MemoryKind::Device) {
      use_device(src.device());
      s.stream->copy_async(dst.data(), src.data(), bytes);
      s.stream->synchronize();
    } else {
      std::memcpy(dst.data(), src.data(), bytes);
    }
  }
  for (int i = 0; i < src.size(); ++i) dst.info(i) = src.info(i);
  dst.color = src.color;
  dst.time_base = src.time_base;
  return dst;
}

/// A copy of a device batch on the device (DLPack copy=True).
PyBatch device_copy(const BatchState& s) {
  const FrameBatch& src = s.frames;
  FrameBatch dst(src.layout(), std::max(1, src.size()), MemoryKind::Device, src.device());
  dst.resize(src.size());
  use_device(src.device());
  if (src.size() > 0)
    s.stream->copy_async(dst.data(), src.data(), src.layout().frame_stride * static_cast<std::size_t>(src.size()));
  for (int i = 0; i < src.size(); ++i) dst.info(i) = src.info(i);
  dst.color = src.color;
  dst.time_base = src.time_base;
  return own_batch(std::move(dst), s.stream);
}

nb::object array_dlpack(const Array& a, nb::handle self, nb::handle stream, nb::handle max_version,
                        nb::handle dl_device, nb::handle copy) {
  const bool force_copy = !copy.is_none() && nb::cast<bool>(copy);
  const bool no_copy = !copy.is_none() && !nb::cast<bool>(copy);
  int want_type = a.on_device() ? kDLCUDA : kDLCPU, want_id = a.on_device() ? a.state->frames.device() : 0;
  if (!dl_device.is_none()) {
    auto [t, id] = nb::cast<std::tuple<int, int>>(dl_device);
    want_type = t;
    want_id = id;
  }
  nb::dict kw;
  if (!max_version.is_none()) kw["max_version"] = max_version;
  auto export_host = [&](const Array& h, nb::handle owner) {
    nb::object nd = as_ndarray<nb::array_api>(h, owner, true);
    return nd.attr("__dlpack__")(**kw);
  };
  if (a.on_device()) {
    if (want_type == kDLCPU) {
      if (no_copy) throw nb::buffer_error("a CPU export of GPU frames needs a copy, and copy=False forbids it");
      nb::object host = nb::cast(own_batch(host_copy(*a.state), nullptr));
      const PyBatch& hb = nb::cast<const PyBatch&>(host);
      Array h = a;
      h.state = hb.state;
      return export_host(h, host);
    }
    if (want_type != kDLCUDA || want_id != a.state->frames.device())
      throw nb::buffer_error("frames on cuda:N export to that device or to the CPU only");
    if (force_copy) {
      nb::object copied = nb::cast(device_copy(*a.state));
      Array c = a;
      c.state = nb::cast<const PyBatch&>(copied).state;
      return array_dlpack(c, copied, stream, max_version, nb::none(), nb::none());
    }
    // DLPack: the consumer's stream must see the data; None means the legacy default stream.
    const std::intptr_t consumer = stream.is_none() ? 1 : nb::cast<std::intptr_t>(stream);
    if (consumer == 0)
      throw Error(Errc::InvalidArgument, "__dlpack__", "stream=0 is not allowed by DLPack (1 is the legacy default stream)");
    if (consumer != -1) {
      if (a.state->ready) a.state->ready->wait_on_foreign(static_cast<std::uintptr_t>(consumer));
      if (a.state->consumers) {  // the reader orders the batch's reuse after this stream's work
        std::lock_guard lock(a.state->consumers->mutex);
        auto& v = a.state->consumers->streams;
        if (std::find(v.begin(), v.end(), static_cast<std::uintptr_t>(consumer)) == v.end())
          v.push_back(static_cast<std::uintptr_t>(consumer));
      }
    }
    nb::object nd = as_ndarray<nb::array_api>(a, self, false);
    return nd.attr("__dlpack__")(**kw);
  }
  if (want_type != kDLCPU) throw nb::buffer_error("host frames export to the CPU only");
  if (force_copy) {
    nb::object copied = nb::cast(own_batch(host_copy(*a.state), nullptr));
    Array c = a;
    c.state = nb::cast<const PyBatch&>(copied).state;
    return export_host(c, copied);
  }
  return export_host(a, self);
}

nb::tuple array_dlpack_device(const Array& a) {
  return a.on_device() ? nb::make_tuple(kDLCUDA, a.state->frames.device()) : nb::make_tuple(kDLCPU, 0);
}

nb::dict array_cai(const Array& a) {
  if (!a.on_device()) throw nb::attribute_error("host frames: use the buffer protocol or __array__");
  nb::dict d;
  nb::list shape, strides;
  for (Py_ssize_t s : a.shape) shape.append(s);
  for (Py_ssize_t s : a.strides) strides.append(s);
  d["shape"] = nb::tuple(shape);
  d["strides"] = nb::tuple(strides);
  d["typestr"] = a.typestr;
  d["data"] = nb::make_tuple(reinterpret_cast<std::uintptr_t>(a.data()), a.state->read_only);
  d["version"] = 3;
  // v3: the consumer orders its work after this stream's (the producing work is on it).
  if (a.state->stream) d["stream"] = reinterpret_cast<std::uintptr_t>(a.state->stream->get());
  return d;
}

nb::object fraction(Rational r) {
  return nb::module_::import_("fractions").attr("Fraction")(r.num, r.den ? r.den : 1);
}

template <class F>
nb::object int64_column(const FrameBatch& b, F field) {
  auto* values = new std::vector<int64_t>();
  for (int i = 0; i < b.size(); ++i) values->push_back(field(b.info(i)));
  nb::capsule owner(values, [](void* p) noexcept { delete static_cast<std::vector<int64_t>*>(p); });
  const size_t n = values->size();
  return nb::cast(nb::ndarray<nb::numpy, int64_t>(values->data(), 1, &n, owner));
}

}  // namespace

Source make_source(const nb::object& src, const std::string& name) {
  Source s;
  if (nb::isinstance<nb::bytes>(src)) {
    const nb::bytes b = nb::borrow<nb::bytes>(src);
    s.bytes = std::make_shared<const std::string>(b.c_str(), b.size());
    s.input = InputSource::memory(std::as_bytes(std::span(s.bytes->data(), s.bytes->size())), name);
  } else {
    s.input = InputSource::file(nb::cast<std::string>(src));
  }
  return s;
}

DeviceChoice parse_device(const std::string& device) {
  if (device == "auto") return {Backend::Auto, 0};
  if (device == "cpu") return {Backend::Cpu, 0};
  if (device == "cuda") return {Backend::Nvdec, 0};
  if (device.rfind("cuda:", 0) == 0) {
    const std::string n = device.substr(5);
    if (!n.empty() && n.size() < 4 && n.find_first_not_of("0123456789") == std::string::npos)
      return {Backend::Nvdec, std::stoi(n)};
  }
  throw Error(Errc::InvalidArgument, "device=" + device, "use \"auto\", \"cpu\", \"cuda\" or \"cuda:N\"");
}

void mark_ready(BatchState& s) {
  if (s.frames.memory() != MemoryKind::Device || !s.stream) return;
  if (!s.ready) s.ready = std::make_shared<CudaEvent>(s.frames.device());
  s.ready->record(*s.stream);
}

PyBatch make_batch(std::shared_ptr<const void> owner, const FrameBatch& frames, int begin, int count,
                   std::shared_ptr<CudaStream> stream, const BatchState* parent) {
  auto s = std::make_shared<BatchState>();
  s->owner = std::move(owner);
  if (parent) {
    s->read_only = parent->read_only;
    s->consumers = parent->consumers;
  }
  if (count > 0) {
    s->frames = frames.view(begin, count);
  } else {  // an empty view: one frame's worth of address, no frames
    s->frames = frames.view(std::min(begin, frames.capacity() - 1), 1);
    s->frames.resize(0);
  }
  s->stream = std::move(stream);
  mark_ready(*s);
  return PyBatch{s};
}

PyBatch own_batch(FrameBatch frames, std::shared_ptr<CudaStream> stream) {
  auto owned = std::make_shared<FrameBatch>(std::move(frames));
  const int n = owned->size();
  return make_batch(owned, *owned, 0, n, std::move(stream));
}

void run_interruptible(const std::function<void()>& work, std::atomic<bool>& cancel) {
  std::exception_ptr error;
  bool interrupted = false;
  {
    nb::gil_scoped_release release;
    std::atomic<bool> done{false};
    std::thread worker([&] {
      try {
        work();
      } catch (...) {
        error = std::current_exception();
      }
      done = true;
    });
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (done || interrupted) continue;
      nb::gil_scoped_acquire acquire;
      if (PyErr_CheckSignals() != 0) {
        PyErr_Clear();
        interrupted = true;
        cancel = true;
      }
    }
    worker.join();
  }
  if (interrupted) {
    PyErr_SetNone(PyExc_KeyboardInterrupt);
    throw nb::python_error();
  }
  if (error) std::rethrow_exception(error);
}

void LongCall::check() {
  nb::gil_scoped_acquire acquire;
  if (PyErr_CheckSignals() != 0) throw nb::python_error();
}

nb::object media_info_object(const MediaInfo& info) {
  return nb::module_::import_("cuframe._info").attr("MediaInfo").attr("_from_json")(to_json(info));
}

void bind_batch(nb::module_& m) {
  nb::class_<Array>(m, "Array", nb::type_slots(array_slots),
                    "One array over a batch's memory (a plane, or the frames of a one-plane format), without a copy.")
      .def_prop_ro("shape", [](const Array& a) { return nb::tuple(nb::cast(a.shape)); })
      .def_prop_ro("strides", [](const Array& a) { return nb::tuple(nb::cast(a.strides)); })
      .def_prop_ro("typestr", [](const Array& a) { return a.typestr; })
      .def_prop_ro("device", [](const Array& a) { return where(a.state->frames); })
      .def("__array__", [](nb::handle self, nb::handle dtype, nb::handle copy) {
            return array_dunder_array(nb::cast<const Array&>(self), self, dtype, copy);
          }, nb::arg("dtype") = nb::none(), nb::kw_only(), nb::arg("copy") = nb::none())
      .def("__dlpack__", [](nb::handle self, nb::handle stream, nb::handle max_version, nb::handle dl_device,
                            nb::handle copy) {
            return array_dlpack(nb::cast<const Array&>(self), self, stream, max_version, dl_device, copy);
          }, nb::kw_only(), nb::arg("stream") = nb::none(), nb::arg("max_version") = nb::none(),
          nb::arg("dl_device") = nb::none(), nb::arg("copy") = nb::none())
      .def("__dlpack_device__", &array_dlpack_device)
      .def_prop_ro("__cuda_array_interface__", &array_cai);

  static PyType_Slot batch_slots[] = {
      {Py_bf_getbuffer, reinterpret_cast<void*>(+[](PyObject* self, Py_buffer* view, int flags) -> int {
         try {
           const PyBatch& b = nb::cast<const PyBatch&>(nb::handle(self));
           nb::object arr = nb::cast(single_array(b.state));
           return PyObject_GetBuffer(arr.ptr(), view, flags);
         } catch (const std::exception& e) {
           PyErr_SetString(PyExc_BufferError, e.what());
           view->obj = nullptr;
           return -1;
         }
       })},
      {0, nullptr}};

  nb::class_<PyBatch>(m, "FrameBatch", nb::type_slots(batch_slots),
                      "Frames of one format and size in one allocation (host or GPU memory).")
      .def("__len__", [](const PyBatch& b) { return b.frames().size(); })
      .def_prop_ro("format", [](const PyBatch& b) { return to_string(b.frames().layout().format); })
      .def_prop_ro("width", [](const PyBatch& b) { return b.frames().layout().width; })
      .def_prop_ro("height", [](const PyBatch& b) { return b.frames().layout().height; })
      .def_prop_ro("bit_depth", [](const PyBatch& b) { return b.frames().layout().bit_depth; })
      .def_prop_ro("device", [](const PyBatch& b) { return where(b.frames()); })
      .def_prop_ro("pts", [](const PyBatch& b) { return int64_column(b.frames(), [](const FrameInfo& i) { return i.pts; }); })
      .def_prop_ro("indices",
                   [](const PyBatch& b) { return int64_column(b.frames(), [](const FrameInfo& i) { return i.index; }); })
      .def_prop_ro("keyframes", [](const PyBatch& b) {
        nb::list l;
        for (int i = 0; i < b.frames().size(); ++i) l.append(b.frames().info(i).keyframe);
        return l;
      })
      .def_prop_ro("time_base", [](const PyBatch& b) { return fraction(b.frames().time_base); })
      .def_prop_ro("nbytes", [](const PyBatch& b) { return b.frames().layout().frame_stride * b.frames().size(); })
      .def("__getitem__", [](const PyBatch& b, nb::handle key) -> PyBatch {
        const int n = b.frames().size();
        if (nb::isinstance<nb::slice>(key)) {
          auto [start, stop, step, len] = nb::borrow<nb::slice>(key).compute(static_cast<size_t>(n));
          (void)stop;
          if (step != 1)
            throw Error(Errc::InvalidArgument, "FrameBatch[a:b:step]", "frame slices take step 1 (they are views, never copies)");
          return make_batch(b.state, b.frames(), static_cast<int>(start), static_cast<int>(len), b.state->stream,
                            b.state.get());
        }
        long i = nb::cast<long>(key);
        if (i < 0) i += n;
        if (i < 0 || i >= n)
          throw nb::index_error(("frame " + nb::cast<std::string>(nb::str(key)) + " of a batch of " + std::to_string(n))
                                    .c_str());
        return make_batch(b.state, b.frames(), static_cast<int>(i), 1, b.state->stream, b.state.get());
      }, "A view of frame i (a batch of one) or of a slice of frames; no copy.")
      .def_prop_ro("planes", [](const PyBatch& b) {
        nb::list l;
        for (Array& a : plane_arrays(b.state)) l.append(nb::cast(std::move(a)));
        return nb::tuple(l);
      })
      .def("cpu", [](nb::handle self) -> nb::object {
        const PyBatch& b = nb::cast<const PyBatch&>(self);
        if (b.frames().memory() != MemoryKind::Device) return nb::borrow(self);
        FrameBatch host;
        {
          nb::gil_scoped_release release;
          host = host_copy(*b.state);
        }
        return nb::cast(own_batch(std::move(host), nullptr));
      }, "The frames in host memory (this batch itself when they are there already).")
      .def("to", [](nb::handle self, const std::string& format, nb::kwargs settings) -> nb::object {
        const PyBatch& b = nb::cast<const PyBatch&>(self);
        const FrameBatch& f = b.frames();
        const ToSettings s = parse_to_settings(format == "native" ? f.layout().format : parse_format(format), settings);
        if (s.empty_for(f.layout().format)) return nb::borrow(self);
        FrameBatch out;
        {
          nb::gil_scoped_release release;
          if (f.memory() == MemoryKind::Device) use_device(f.device());
          Converter conv(f.layout(), s, std::max(1, f.size()), f.memory(), f.device());
          out = FrameBatch(conv.output(), std::max(1, f.size()), f.memory(), f.device());
          if (f.size() > 0) conv.run(f, out, b.state->stream.get());
          out.resize(f.size());
          out.time_base = f.time_base;
        }
        return nb::cast(own_batch(std::move(out), b.state->stream));
      }, nb::arg("format"), nb::arg("settings"), "Converts, crops, resizes or normalises into a new batch.")
      .def("__array__", [](nb::handle self, nb::handle dtype, nb::handle copy) {
            const PyBatch& b = nb::cast<const PyBatch&>(self);
            nb::object arr = nb::cast(single_array(b.state));
            return array_dunder_array(nb::cast<const Array&>(arr), arr, dtype, copy);
          }, nb::arg("dtype") = nb::none(), nb::kw_only(), nb::arg("copy") = nb::none())
      .def("__dlpack__", [](nb::handle self, nb::handle stream, nb::handle max_version, nb::handle dl_device,
                            nb::handle copy) {
            const PyBatch& b = nb::cast<const PyBatch&>(self);
            nb::object arr = nb::cast(single_array(b.state));
            return array_dlpack(nb::cast<const Array&>(arr), arr, stream, max_version, dl_device, copy);
          }, nb::kw_only(), nb::arg("stream") = nb::none(), nb::arg("max_version") = nb::none(),
          nb::arg("dl_device") = nb::none(), nb::arg("copy") = nb::none())
      .def("__dlpack_device__", [](const PyBatch& b) { return array_dlpack_device(single_array(b.state)); })
      .def_prop_ro("__cuda_array_interface__", [](const PyBatch& b) { return array_cai(single_array(b.state)); })
      .def("__repr__", [](const PyBatch& b) {
        const FrameBatch& f = b.frames();
        return "<cuframe.FrameBatch " + std::to_string(f.size()) + " x " + to_string(f.layout().format) + " " +
               std::to_string(f.layout().width) + "x" + std::to_string(f.layout().height) + " on " + where(f) + ">";
      });
}

}  // namespace cuframe::py
