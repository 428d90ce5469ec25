// The decoder dispatcher: NVDEC or libavcodec (Note [Backend choice]).
#include "cuframe/decoder.hpp"

#include <string>
#include <vector>

#include "cuframe/device.hpp"
#include "cuframe/error.hpp"
#include "cuframe/log.hpp"
#include "decode/backends.hpp"
#include "native.hpp"

namespace cuframe {

namespace {

void log_choice(const Demuxer& demux, const Decoder& d) {
  log(Verbosity::Info, "%s: decoding with %s", demux.name().c_str(), d.description().c_str());
}

// What Auto may fall back on before the first frame: the GPU refusing the stream (caps,
// chroma, a failed create), never damaged input or a limit (the CPU would refuse those
// too, and falling back would hide them).
bool gpu_refusal(const Error& e) {
  return e.code() == Errc::Unsupported || e.code() == Errc::DriverMissing || e.code() == Errc::Nvdec;
}

// Note [Backend choice]: Auto picks NVDEC wherever the driver is usable and the caps
// allow, and libavcodec otherwise, and always says which and why. Some refusals are only
// known at the first sequence header (the coded size, MB count, output format, chroma, a
// failed create), so until NVDEC has given its first frame this wrapper keeps the packets
// sent; when NVDEC refuses the stream it opens libavcodec with the reason and replays
// them. The choice is logged once it is final (`decoding with NVDEC ...`, or `decoding
// with libavcodec ... (auto: <why>)`).
class AutoDecoder final : public Decoder {
 public:
  AutoDecoder(const Demuxer& demux, const DecodeOptions& options, std::unique_ptr<Decoder> nvdec)
      : demux_(demux), options_(options), current_(std::move(nvdec)) {}

  Backend backend() const noexcept override { return current_->backend(); }
  const std::string& description() const noexcept override { return current_->description(); }
  const FrameLayout& layout() const noexcept override { return current_->layout(); }
  bool finished() const noexcept override { return current_->finished(); }
  int64_t errors() const noexcept override { return current_->errors(); }

  bool frame_ready() override {
    const bool ready = current_->frame_ready();
    if (ready && !decided_) decide();
    return ready;
  }

  void send(const Packet* packet) override {
    if (decided_) return current_->send(packet);
    if (packet) {
      Packet copy;
      detail::av_check(av_packet_ref(detail::native(copy), detail::native(*packet)), demux_.name(), "keeping a packet");
      sent_.push_back(std::move(copy));
    } else {
      eos_ = true;
    }
    try {
      current_->send(packet);
    } catch (const Error& e) {
      if (!gpu_refusal(e)) throw;
      fall_back("auto: " + e.reason());
    }
    if (current_->frame_ready() || current_->finished()) decide();
  }

  int receive(FrameBatch& batch, const CudaStream* stream) override {
    if (!decided_ && current_->frame_ready()) decide();
    return current_->receive(batch, stream);
  }

  void reset() override {
    sent_.clear();
    eos_ = false;
    current_->reset();
  }

 private:
  void decide() {
    decided_ = true;
    sent_.clear();
    log_choice(demux_, *current_);
  }

  void fall_back(const std::string& why) {
    current_.reset();
    current_ = detail::open_libav_decoder(demux_, options_, why);
    decided_ = true;
    log_choice(demux_, *current_);
    for (const Packet& p : sent_) current_->send(&p);
    if (eos_) current_->send(nullptr);
    sent_.clear();
  }

  const Demuxer& demux_;
  DecodeOptions options_;
  std::unique_ptr<Decoder> current_;
  std::vector<Packet> sent_;  // until decided
  bool eos_ = false;
  bool decided_ = false;
};

}  // namespace

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
      std::string why = "auto: this build has no NVDEC (CPU-only)";
      if (cuda_built()) {
        const DriverStatus st = driver_status();
        if (st.usable()) {
          try {
            return std::make_unique<AutoDecoder>(demux, options, detail::open_nvdec_decoder(demux, options, "auto"));
          } catch (const Error& e) {
            if (!gpu_refusal(e)) throw;
            why = "auto: " + e.reason();
          }
        } else {
          why = "auto: no usable GPU: " + st.problem;
        }
      }
      decoder = detail::open_libav_decoder(demux, options, why);
      break;
    }
  }
  log_choice(demux, *decoder);
  return decoder;
}

}  // namespace cuframe
