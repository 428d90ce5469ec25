// CPU-only build: no NVDEC.
#include "cuframe/decoder.hpp"
#include "cuframe/error.hpp"
#include "decode/backends.hpp"

namespace cuframe {

std::unique_ptr<Decoder> detail::open_nvdec_decoder(const Demuxer& demux, const DecodeOptions&, std::string) {
  throw Error(Errc::Unsupported, demux.name(), "NVDEC needs a CUDA build of cuframe (this one is CPU-only)");
}

}  // namespace cuframe
