// cuframe._cuframe: the extension module under the Python package (python/cuframe).
#include <nanobind/stl/vector.h>

#include "binding.hpp"
#include "cuframe/kernels/cpu.hpp"

namespace cuframe::py {
namespace {

nb::list device_list() {
  nb::list out;
  for (const DeviceInfo& d : devices()) {
    const CodecCapsReport caps = query_codec_caps(d.ordinal);
    int nvenc_codecs = 0;
    for (const EncodeCaps& e : caps.encode) nvenc_codecs += e.supported;
    nb::dict row;
    row["ordinal"] = d.ordinal;
    row["name"] = d.name;
    row["compute_capability"] = nb::make_tuple(d.cc_major, d.cc_minor);
    row["total_memory"] = d.total_memory;
    row["multiprocessors"] = d.multiprocessors;
    row["pci_bus_id"] = d.pci_bus_id;
    row["nvdec_engines"] = caps.nvdec_engines;
    row["nvdec_problem"] = caps.decode_problem;
    row["nvenc"] = nvenc_codecs > 0;
    row["nvenc_problem"] = caps.encode_problem;
    out.append(row);
  }
  return out;
}

nb::dict driver() {
  const DriverStatus s = driver_status();
  nb::dict d;
  d["cuda_built"] = cuda_built();
  d["libcuda"] = s.libcuda;
  d["libnvcuvid"] = s.libnvcuvid;
  d["libnvidia_encode"] = s.libnvidia_encode;
  d["driver_api_version"] = s.driver_api_version;
  d["driver_release"] = s.driver_release;
  d["device_count"] = s.device_count;
  d["problem"] = s.problem;
  return d;
}

}  // namespace
}  // namespace cuframe::py

NB_MODULE(_cuframe, m) {
  using namespace cuframe;
  using namespace cuframe::py;
  // cuframe::Error -> cuframe.Error's subclass for its category (python/cuframe/_errors.py).
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const Error& e) {
      if (e.code() == Errc::Interrupted) {
        PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
        return;
      }
      nb::object cls = nb::module_::import_("cuframe._errors").attr("error_class")(to_string(e.code()));
      nb::object err = cls(e.subject(), e.reason(), to_string(e.code()));
      PyErr_SetObject(cls.ptr(), err.ptr());
    }
  });
  m.def("_version", [] { return std::string(version()); });
  m.def("_simd", [] { return std::string(kernels::cpu_simd_target()); });
  m.def("_devices", &device_list);
  m.def("_set_verbosity", [](int v) { set_verbosity(static_cast<Verbosity>(v)); });
  set_verbosity(Verbosity::Errors);  // FFmpeg silent, the engine's errors only (as the CLI)
  m.def("_driver", &driver);
  bind_batch(m);
  bind_read(m);
  bind_write(m);
}
