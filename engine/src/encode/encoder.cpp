// The encoder dispatcher: NVENC or libavcodec (Note [Encoder choice] in cuframe/encoder.hpp).
#include "cuframe/encoder.hpp"

#include "cuframe/error.hpp"
#include "cuframe/log.hpp"
#include "encode/backends.hpp"

namespace cuframe {

const char* to_string(EncoderBackend b) noexcept {
  switch (b) {
    case EncoderBackend::Auto: return "auto";
    case EncoderBackend::Cpu: return "cpu";
    case EncoderBackend::Nvenc: return "nvenc";
  }
  return "auto";
}

std::string detail::encoder_subject(const EncodeOptions& o) { return std::string("encoder ") + to_string(o.codec); }

std::unique_ptr<Encoder> open_encoder(const EncodeParams& params, const EncodeOptions& options) {
  if (std::string problem = validate_encode_options(params, options); !problem.empty())
    throw Error(Errc::InvalidArgument, detail::encoder_subject(options), problem);
  switch (options.backend) {
    case EncoderBackend::Cpu: return detail::open_libav_encoder(params, options, "");
    case EncoderBackend::Nvenc: {
      std::string why = detail::nvenc_unusable_reason(params, options);
      if (!why.empty()) throw Error(Errc::Unsupported, detail::encoder_subject(options), "NVENC cannot be used: " + why);
      return detail::open_nvenc_encoder(params, options, "");
    }
    case EncoderBackend::Auto: break;
  }
  std::string why = detail::nvenc_unusable_reason(params, options);
  if (why.empty()) return detail::open_nvenc_encoder(params, options, "");
  auto enc = detail::open_libav_encoder(params, options, why);
  log(Verbosity::Info, "encoder: NVENC not used (%s); %s", why.c_str(), enc->description().c_str());
  return enc;
}

}  // namespace cuframe
