// The Python binding's shared pieces: sources, frame batches as Python sees them, the
// conversion of `.to()`, and the GIL / Ctrl-C rules every long call follows.
//
// Note [Python lifetimes]: every FrameBatch Python holds shares one BatchState with the
// arrays made from it (`.planes`, the array protocols). The state holds the memory's
// owner (a FrameBatch, a ResidentClip, a cached chunk) through a shared_ptr, so an array
// outlives its reader, its clip and the batch object it came from, and keeps its bytes:
// a reader recycles a batch of its pool only when nothing outside the pool holds that
// batch (use_count() == 1), and otherwise decodes into a fresh one.
//
// Note [Python streams]: device batches carry the stream that produced them and an event
// recorded after the producing work. Further cuframe work on a batch is queued on that
// stream (stream order makes it safe); a consumer outside cuframe gets the data through
// the event: DLPack's `stream` (or the legacy default stream when it passes None) is made
// to wait on it, and the CUDA Array Interface names the producing stream. Nothing here
// waits on the host except `.cpu()` and host exports, which need the bytes.
#pragma once

#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cuframe/cuframe.hpp"
#include "cuframe/kernels/color.hpp"
#include "cuframe/kernels/geometry.hpp"

namespace cuframe::py {

namespace nb = nanobind;

/// An input for the engine, with the bytes of a memory input kept alive beside it.
struct Source {
  InputSource input = InputSource::standard_input();
  std::shared_ptr<const std::string> bytes;  ///< memory inputs: a copy the source points into
};
/// A path (str), or the bytes of a memory input (the Python layer turns bytes-like and
/// file objects into one of the two). `name` names a memory input in errors.
Source make_source(const nb::object& src, const std::string& name);

/// "auto", "cpu", "cuda", "cuda:N" -> the decoder's backend and device.
struct DeviceChoice {
  Backend backend = Backend::Auto;
  int device = 0;
};
DeviceChoice parse_device(const std::string& device);
PixelFormat parse_format(const std::string& name);

/// The consumers' CUDA streams a device batch was exported to (DLPack `stream`): its
/// reader orders the batch's reuse after their work (Note [Python streams]).
struct ConsumerStreams {
  std::mutex mutex;
  std::vector<std::uintptr_t> streams;
};

struct BatchState {
  std::shared_ptr<const void> owner;    ///< what keeps the memory alive
  FrameBatch frames;                    ///< a view (owns nothing) of the frames
  std::shared_ptr<CudaStream> stream;   ///< device batches: the stream that produced them
  std::shared_ptr<CudaEvent> ready;     ///< device batches: recorded after that work
  std::shared_ptr<ConsumerStreams> consumers;  ///< pooled device batches: who read them
  bool read_only = false;               ///< shared with others (a cached chunk): exported read-only
};

/// A batch of frames as Python sees it (class cuframe.FrameBatch).
struct PyBatch {
  std::shared_ptr<BatchState> state;
  const FrameBatch& frames() const { return state->frames; }
};

/// A batch over `owner`'s frames [begin, begin + count); count may be 0. Views of a
/// batch (`parent`) share its read-only flag and consumer list.
PyBatch make_batch(std::shared_ptr<const void> owner, const FrameBatch& frames, int begin, int count,
                   std::shared_ptr<CudaStream> stream, const BatchState* parent = nullptr);
/// A batch that owns `frames` (moved in). For device frames, records the ready event.
PyBatch own_batch(FrameBatch frames, std::shared_ptr<CudaStream> stream);
/// Records `state`'s ready event after the work queued so far on its stream.
void mark_ready(BatchState& state);

/// What `.to(format, **settings)` does, parsed once.
struct ToSettings {
  PixelFormat format = PixelFormat::NV12;
  kernels::ColorSettings color;
  int width = 0, height = 0;  ///< 0: unchanged
  ResizeFilter filter = ResizeFilter::Bilinear;
  std::optional<kernels::CropRect> crop;
  std::optional<kernels::Normalize> normalize;
  bool empty_for(PixelFormat from) const;
};
ToSettings parse_to_settings(PixelFormat format, const nb::dict& settings);

/// The steps of one ToSettings planned for an input layout, with their buffers allocated
/// once for `capacity` frames; run() allocates nothing.
class Converter {
 public:
  Converter(const FrameLayout& input, const ToSettings& settings, int capacity, MemoryKind memory, int device);
  const FrameLayout& output() const noexcept { return output_; }
  /// Converts src.size() frames into dst (layout output(), capacity >= src.size()).
  void run(const FrameBatch& src, FrameBatch& dst, const CudaStream* stream);

 private:
  struct Step;
  std::vector<std::shared_ptr<Step>> steps_;
  std::vector<FrameBatch> buffers_;  ///< between steps
  FrameLayout output_;
};

/// Releases the GIL for a long call; between units of work, check() takes it back for a
/// moment to let a Ctrl-C through (KeyboardInterrupt from the main thread).
class LongCall {
 public:
  LongCall() = default;
  void check();
 private:
  nb::gil_scoped_release release_;
};

/// Runs `work` on a thread of its own while the calling thread (which holds the GIL on
/// entry) waits with the GIL released and watches for Ctrl-C: on one it sets `cancel`,
/// waits for `work` to stop and raises KeyboardInterrupt. Otherwise `work`'s exception, if
/// any, is rethrown here.
void run_interruptible(const std::function<void()>& work, std::atomic<bool>& cancel);

/// A MediaInfo as the Python layer builds it (the JSON of `cuframe probe --json`).
nb::object media_info_object(const MediaInfo& info);

void bind_batch(nb::module_& m);
void bind_read(nb::module_& m);
void bind_write(nb::module_& m);

}  // namespace cuframe::py
