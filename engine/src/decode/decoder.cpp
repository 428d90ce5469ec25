// The decoder dispatcher: NVDEC or libavcodec (Note [Backend choice]).
#include "cuframe/decoder.hpp"

#include <cstdlib>
#include <string>

#include "cuframe/device.hpp"
#include "cuframe/error.hpp"
#include "cuframe/log.hpp"
#include "decode/backends.hpp"

namespace cuframe {

std::unique_ptr<Decoder> open_decoder(const Demuxer& demux, const DecodeOptions& options) {
  std::unique_ptr<Decoder> decoder;
  switch (options.backend) {
    case Backend::Nvdec:
      if (!cuda_built())
        throw Error(Errc::Unsupported, demux.name(), "NVDEC needs a CUDA build of cuframe (this one is CPU-only)");
      decoder = detail::open_nvdec_decoder(demux, options, "");
      break;
    case Backend::Cpu:
      decoder = detail::open_libav_decoder(demux, options, "");
      break;
    case Backend::Auto: {
      // Note [Backend choice]: NVDEC when the GPU can decode this codec/profile/depth/size,
      // libavcodec otherwise — and always say which and why. Until the NVDEC backend has
      // run on a GPU (see nvdec_decoder.cpp), Auto tries it only on request.
      const char* experimental = std::getenv("CUFRAME_NVDEC_EXPERIMENTAL");
      std::string why = "auto: the NVDEC backend has not been verified on a GPU yet "
                        "(CUFRAME_NVDEC_EXPERIMENTAL=1 or --device cuda to use it)";
      if (cuda_built() && experimental && std::string(experimental) == "1") {
        const DriverStatus st = driver_status();
        if (st.usable()) {
          try {
            decoder = detail::open_nvdec_decoder(demux, options, "auto");
          } catch (const Error& e) {
            if (e.code() != Errc::Unsupported && e.code() != Errc::DriverMissing) throw;
            why = "auto: " + e.reason();
          }
        } else {
          why = "auto: no usable GPU: " + st.problem;
        }
      }
      if (!decoder) decoder = detail::open_libav_decoder(demux, options, why);
      break;
    }
  }
  log(Verbosity::Info, "%s: decoding with %s", demux.name().c_str(), decoder->description().c_str());
  return decoder;
}

}  // namespace cuframe
