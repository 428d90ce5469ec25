// The NVENC session (engine/src/encode/nvenc_encoder.cpp) on the virtual NVENC's L4-class
// model (docs/VIRTUAL_GPU.md): what it registers, and what it leaves behind when a driver
// call fails. Observed through the model's CUFRAME_VIRTUAL_TRACE lines (one JSON object a
// call); failures are planted with CUFRAME_VIRTUAL_NVENC_FAIL=CALL@N. Only in the
// virtual-gpu build.
//
// The tests need NVENC: they skip in the H100 model (no NVENC), and fail instead where
// NVENC is expected — CUFRAME_REQUIRE_GPU=1 with CUFRAME_VIRTUAL_NVENC=1, as
// tests/virtual_gpu/run_suite.sh runs the nvenc model.
#include <ffnvcodec/nvEncodeAPI.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include "cuframe/cuda_stream.hpp"
#include "cuframe/encoder.hpp"
#include "cuframe/error.hpp"
#include "cuframe/frame.hpp"
#include "support/gpu.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

namespace cuframe::vgpu_test {
namespace {

bool env_on(const char* name) {
  const char* v = std::getenv(name);
  return v && *v && std::strcmp(v, "0") != 0;
}

EncodeParams qcif_params() {
  EncodeParams p;
  p.width = 176;
  p.height = 144;
  p.time_base = {1, 25};
  p.frame_rate = {25, 1};
  return p;
}

EncodeOptions nvenc_h264() {
  EncodeOptions o;
  o.codec = Codec::H264;
  o.backend = EncoderBackend::Nvenc;
  return o;
}

// Skips where this model has no NVENC; fails where NVENC is required.
#define CUFRAME_NVENC_TEST()                                                                                  \
  do {                                                                                                        \
    CUFRAME_GPU_TEST();                                                                                       \
    const std::string cuframe_why_ = nvenc_unavailable_reason(qcif_params(), nvenc_h264());                   \
    if (!cuframe_why_.empty()) {                                                                              \
      if (::cuframe::test::gpu_required() && env_on("CUFRAME_VIRTUAL_NVENC")) {                               \
        FAIL() << "CUFRAME_REQUIRE_GPU=1 and CUFRAME_VIRTUAL_NVENC=1, but NVENC cannot be used: " << cuframe_why_; \
      } else {                                                                                                \
        GTEST_SKIP() << "no NVENC (" << cuframe_why_ << "); the nvenc model (CUFRAME_VIRTUAL_NVENC=1) runs this"; \
      }                                                                                                       \
    }                                                                                                         \
  } while (0)

// The virtual NVENC's trace lines of one call (the virtual NVDEC's lines are skipped).
std::vector<nlohmann::json> trace_of(const std::string& file, const std::string& call) {
  std::vector<nlohmann::json> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("call", "") == call) out.push_back(std::move(j));
  }
  return out;
}

// What the trace says about the session's registrations.
struct Registrations {
  int registered = 0;          // successful nvEncRegisterResource calls
  int distinct = 0;            // distinct (pointer, pitch) among them
  int unregistered_early = 0;  // nvEncUnregisterResource before the last nvEncEncodePicture
  int pictures = 0;            // nvEncEncodePicture calls with a frame
};

Registrations registrations(const std::string& file) {
  Registrations r;
  std::set<std::pair<uint64_t, uint64_t>> seen;
  bool encoding_done = false;
  int pictures_left = 0;
  std::ifstream in(file);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) continue;
    if (j.value("call", "") == "nvEncEncodePicture" && !j.value("eos", false)) ++pictures_left;
    lines.push_back(std::move(j));
  }
  for (const nlohmann::json& j : lines) {
    const std::string call = j.value("call", "");
    if (call == "nvEncRegisterResource" && j.value("status", -1) == 0) {
      ++r.registered;
      seen.emplace(j.value("ptr", uint64_t{0}), j.value("pitch", uint64_t{0}));
    } else if (call == "nvEncUnregisterResource" && !encoding_done) {
      ++r.unregistered_early;
    } else if (call == "nvEncEncodePicture" && !j.value("eos", false)) {
      ++r.pictures;
      encoding_done = --pictures_left == 0;
    }
  }
  r.distinct = static_cast<int>(seen.size());
  return r;
}

// Pictures NVENC may hold at once in cuframe's sessions (reordering, look-ahead and a
// margin: the session's bitstream buffers), what a pool of copies needs at most.
constexpr int kInFlight = 16;

// A 325-frame H.264 clip at 176x144 whose only sequence header is the first (the NVENC
// model makes IDRs at the GOP only): the samples repeat theirs, at which the virtual
// NVDEC drops pictures (GPU review item 4), and none of the samples NVDEC decodes here has
// more than 100 frames.
std::string long_clip() {
  const std::string out = (test::temp_dir() / "long.mp4").string();
  const test::ProcessResult r = test::run_process(
      {test::cli_path(), "transcode", test::sample("nasa_13013.mp4").string(), out, "--device", "cpu", "--encoder",
       "nvenc", "--gop", "400", "--ops", "resize=176x144", "--no-audio"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out;
}

struct Transcoded {
  std::string trace;   // the virtual NVENC's trace of the run
  std::string output;  // the file written
};

// A transcode with NVDEC, GPU ops and NVENC.
Transcoded gpu_transcode(const std::string& in, const std::vector<std::string>& mode) {
  const std::string dir = test::temp_dir().string();
  const std::string trace = dir + "/trace.jsonl";
  std::vector<std::string> argv = {test::cli_path(), "transcode", in, dir + "/out.mp4", "--device", "cuda", "--ops",
                                   "resize=160x128", "--no-audio"};
  argv.insert(argv.end(), mode.begin(), mode.end());
  test::ProcessOptions o;
  // The NVDEC display callback's host wait (GPU review item 16) is only reported, so
  // that the frames reach the encoder.
  o.env = {"CUFRAME_VIRTUAL_TRACE=" + trace};
  const test::ProcessResult r = test::run_process(argv, o);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("encoder NVENC"), std::string::npos) << r.err;
  return {trace, dir + "/out.mp4"};
}

// GPU review item 19: the stream pipeline cycles through ring x chunk = 3 x 32 = 96 frame
// buffers; each is registered once for the session, not once a frame.
TEST(VirtualNvenc, StreamTranscodeRegistersEachRingBufferOnce) {
  CUFRAME_NVENC_TEST();
  const std::string clip = long_clip();
  const Registrations r = registrations(gpu_transcode(clip, {"--mode", "stream", "--chunk", "32"}).trace);
  std::printf("stream mode: %d pictures, %d registrations of %d buffers, %d unregistered while encoding\n", r.pictures,
              r.registered, r.distinct, r.unregistered_early);
  ASSERT_EQ(r.pictures, 325);
  EXPECT_LE(r.registered, 3 * 32 + kInFlight) << "at most the ring's buffers (and a pool of copies)";
  EXPECT_EQ(r.registered, r.distinct) << "a buffer registered twice: the cache evicted it";
  EXPECT_EQ(r.unregistered_early, 0) << "registrations live for the session";
}

// Resident mode gives every frame of the clip from its own address: the frames are copied
// into a few registered buffers of the encoder's instead of being registered each.
TEST(VirtualNvenc, ResidentTranscodeCopiesIntoAFewRegisteredBuffers) {
  CUFRAME_NVENC_TEST();
  const std::string clip = long_clip();
  const Transcoded resident = gpu_transcode(clip, {"--mode", "resident"});
  const Registrations r = registrations(resident.trace);
  std::printf("resident mode: %d pictures, %d registrations of %d buffers, %d unregistered while encoding\n",
              r.pictures, r.registered, r.distinct, r.unregistered_early);
  ASSERT_EQ(r.pictures, 325);
  EXPECT_LE(r.registered, kInFlight) << "the pictures in flight, not the frames of the clip";
  EXPECT_EQ(r.registered, r.distinct);
  EXPECT_EQ(r.unregistered_early, 0);
  // The copies carry the frames: the same file as stream mode, which encodes them in place.
  const Transcoded stream = gpu_transcode(clip, {"--mode", "stream"});
  EXPECT_TRUE(test::read_file(resident.output) == test::read_file(stream.output))
      << "resident and stream mode must write the same bytes";
}

// Sends `frames` grey 176x144 frames to an NVENC session in one batch; what send() threw.
std::string send_frames(Encoder& enc, int frames) {
  const CudaStream stream(0);
  FrameBatch batch(make_layout(PixelFormat::NV12, 176, 144), frames, MemoryKind::Device, 0);
  batch.resize(frames);
  stream.fill_async(batch.data(), 128, batch.bytes());
  for (int i = 0; i < frames; ++i) {
    batch.info(i).pts = i;
    batch.info(i).duration = 1;
  }
  std::string error;
  try {
    enc.send(batch, &stream);
  } catch (const Error& e) {
    error = e.what();
  }
  stream.synchronize();
  return error;
}

// Encodes `rounds` x `buffers` batches of 4 frames, cycling through `buffers` device
// batches of different grey levels; returns the packets' bytes.
std::string encode_cycling(const EncodeOptions& options, int buffers, int rounds) {
  const CudaStream stream(0);
  const FrameLayout layout = make_layout(PixelFormat::NV12, 176, 144);
  std::vector<FrameBatch> batches;
  for (int b = 0; b < buffers; ++b) {
    batches.emplace_back(layout, 4, MemoryKind::Device, 0);
    batches.back().resize(4);
    for (int i = 0; i < 4; ++i)
      stream.fill_async(batches.back().plane(i, 0), 16 + 13 * (4 * b + i), layout.frame_stride);
  }
  std::unique_ptr<Encoder> enc = open_encoder(qcif_params(), options);
  std::string bytes;
  Packet packet;
  int64_t pts = 0;
  for (int r = 0; r < rounds; ++r)
    for (FrameBatch& b : batches) {
      for (int i = 0; i < 4; ++i) b.info(i).pts = pts++;
      enc->send(b, &stream);
      while (enc->receive(packet)) bytes.append(reinterpret_cast<const char*>(packet.data().data()), packet.data().size());
    }
  enc->flush();
  while (enc->receive(packet)) bytes.append(reinterpret_cast<const char*>(packet.data().data()), packet.data().size());
  stream.synchronize();
  return bytes;
}

// EncodeOptions::input_buffers below what the caller cycles through: the first that many
// buffers are registered, the frames of the others copied into the pool, and the stream is
// the same as with every buffer registered.
TEST(VirtualNvenc, BuffersBeyondTheHintAreCopiedNotRegistered) {
  CUFRAME_NVENC_TEST();
  const std::string trace = (test::temp_dir() / "trace.jsonl").string();
  setenv("CUFRAME_VIRTUAL_TRACE", trace.c_str(), 1);
  EncodeOptions hinted = nvenc_h264();
  hinted.input_buffers = 2;  // the planted mismatch: 4 batches x 4 frames = 16 buffers
  const std::string copied = encode_cycling(hinted, 4, 3);
  unsetenv("CUFRAME_VIRTUAL_TRACE");
  const Registrations r = registrations(trace);
  std::printf("input_buffers 2: %d pictures, %d registrations, %d unregistered while encoding\n", r.pictures,
              r.registered, r.unregistered_early);
  EXPECT_EQ(r.pictures, 48);
  EXPECT_LE(r.registered, 2 + kInFlight);
  EXPECT_EQ(r.registered, r.distinct);
  EXPECT_EQ(r.unregistered_early, 0);
  EncodeOptions all = nvenc_h264();
  all.input_buffers = 16;
  EXPECT_TRUE(copied == encode_cycling(all, 4, 3)) << "the copies must encode as the frames in place";
}

// Locks that failed other than the planted one: locking an output that holds no picture
// (never submitted, or locked and unlocked already) — on a GPU a wait that never ends.
std::vector<std::string> unexpected_lock_failures(const std::string& trace, bool lock_planted) {
  std::vector<std::string> out;
  bool planted_seen = !lock_planted;
  for (const nlohmann::json& j : trace_of(trace, "nvEncLockBitstream")) {
    if (j.value("status", 0) == 0) continue;
    if (!planted_seen && j.value("status", 0) == NV_ENC_ERR_GENERIC) {
      planted_seen = true;
      continue;
    }
    out.push_back(j.dump());
  }
  return out;
}

// Review item 19's companion: a failed nvEncEncodePicture submitted nothing, so nothing of
// it may stay pending — the session's end (EOS, then the pending outputs locked) must not
// lock the output of the failed picture.
TEST(VirtualNvenc, FailedEncodePictureLeavesNoPhantomPicture) {
  CUFRAME_NVENC_TEST();
  const std::string trace = (test::temp_dir() / "trace.jsonl").string();
  setenv("CUFRAME_VIRTUAL_TRACE", trace.c_str(), 1);
  // With 3 B-frames: picture 1 is the IDR, 2-4 wait, 5 is a P, 6 waits, 7 fails.
  setenv("CUFRAME_VIRTUAL_NVENC_FAIL", "nvEncEncodePicture@7", 1);
  {
    std::unique_ptr<Encoder> enc = open_encoder(qcif_params(), nvenc_h264());
    const std::string error = send_frames(*enc, 8);
    EXPECT_NE(error.find("planted failure"), std::string::npos) << "send() must throw the driver's failure: " << error;
  }  // the session ends with picture 6 pending
  unsetenv("CUFRAME_VIRTUAL_NVENC_FAIL");
  unsetenv("CUFRAME_VIRTUAL_TRACE");
  const std::vector<nlohmann::json> pictures = trace_of(trace, "nvEncEncodePicture");
  ASSERT_GE(pictures.size(), 7u);
  EXPECT_EQ(pictures[6].value("status", 0), NV_ENC_ERR_GENERIC);
  const std::vector<std::string> bad = unexpected_lock_failures(trace, false);
  EXPECT_TRUE(bad.empty()) << "a lock of an output that holds no picture: " << bad.front();
  std::printf("locks that failed: %zu\n", bad.size());
}

// nvEncLockBitstream failing in the middle of a drain: the outputs locked before it are
// done with; the session's end must lock only those still holding their picture.
TEST(VirtualNvenc, FailedLockLeavesTheOtherPicturesLockedOnce) {
  CUFRAME_NVENC_TEST();
  const std::string trace = (test::temp_dir() / "trace.jsonl").string();
  setenv("CUFRAME_VIRTUAL_TRACE", trace.c_str(), 1);
  // Lock 1 is the IDR's; picture 5 (a P) makes 2-5 ready: lock 2 passes, lock 3 fails.
  setenv("CUFRAME_VIRTUAL_NVENC_FAIL", "nvEncLockBitstream@3", 1);
  {
    std::unique_ptr<Encoder> enc = open_encoder(qcif_params(), nvenc_h264());
    const std::string error = send_frames(*enc, 8);
    EXPECT_NE(error.find("planted failure"), std::string::npos) << "send() must throw the driver's failure: " << error;
  }
  unsetenv("CUFRAME_VIRTUAL_NVENC_FAIL");
  unsetenv("CUFRAME_VIRTUAL_TRACE");
  const std::vector<std::string> bad = unexpected_lock_failures(trace, true);
  EXPECT_TRUE(bad.empty()) << "a lock of an output that holds no picture: " << bad.front();
  std::printf("locks that failed besides the planted one: %zu\n", bad.size());
  // Every output submitted was locked once: pictures 1-5 (2 and 3 before the failure, 3
  // again at the end, its first lock having failed), and nothing else.
  int locked = 0;
  for (const nlohmann::json& j : trace_of(trace, "nvEncLockBitstream")) locked += j.value("status", -1) == 0;
  EXPECT_EQ(locked, 5);
}

}  // namespace
}  // namespace cuframe::vgpu_test
