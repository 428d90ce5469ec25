// CPU-only build: no NVENC.
#include "cuframe/error.hpp"
#include "encode/backends.hpp"

namespace cuframe {

namespace detail {

namespace {
constexpr const char* kReason = "NVENC needs a CUDA build of cuframe (this one is CPU-only)";
}  // namespace

std::string nvenc_unusable_reason(const EncodeParams&, const EncodeOptions&) { return kReason; }

std::unique_ptr<Encoder> open_nvenc_encoder(const EncodeParams&, const EncodeOptions& options, std::string) {
  throw Error(Errc::Unsupported, std::string("encoder ") + to_string(options.codec) + " (nvenc)", kReason);
}

}  // namespace detail

std::string nvenc_unavailable_reason(const EncodeParams& params, const EncodeOptions& options) {
  return detail::nvenc_unusable_reason(params, options);
}

}  // namespace cuframe
