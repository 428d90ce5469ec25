// GPU review items that need the virtual NVDEC's knobs to show (docs/VIRTUAL_GPU.md): a
// parser that displays every surface at once, one that keeps calling back after a
// refused sequence, and the call trace that shows which decoders were created.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "cuframe/cuframe.hpp"
#include "support/helpers.hpp"
#include "support/test_env.hpp"

namespace cuframe::vgpu_test {
namespace {

std::string nvdec_bytes(const std::string& file, Backend backend) {
  ReaderOptions o;
  o.decode.backend = backend;
  VideoReader r(InputSource::file(file), o);
  FrameBatch b = r.make_batch();
  std::string out;
  while (r.read(b))
    for (int i = 0; i < b.size(); ++i) out += test::frame_bytes(b, i);
  return out;
}

struct Env {
  Env(const char* name, const std::string& value) : name_(name) { setenv(name, value.c_str(), 1); }
  ~Env() { unsetenv(name_); }
  const char* name_;
};

// Item 5: a parser may hold every decode surface undisplayed and display them all at
// once (at the end of the stream, or a bump); the ready queue holds them all. CVFC1 asks
// for 24 surfaces (min 20 + the margin), more than the 16-frame ring of before.
TEST(VirtualReadiness, AFlushOfEverySurfaceFits) {
  Env late("CUFRAME_VIRTUAL_NVDEC_DISPLAY", "late");
  for (const char* f : {"h264/CVFC1_Sony_C.jsv", "h264/MR1_BT_A.h264", "samples/testsrc2.mp4"}) {
    SCOPED_TRACE(f);
    const std::string file = (test::data_dir() / f).string();
    std::string gpu;
    ASSERT_NO_THROW(gpu = nvdec_bytes(file, Backend::Nvdec));
    EXPECT_TRUE(gpu == nvdec_bytes(file, Backend::Cpu));
  }
}

// Item 6: the first error is the one reported. With a parser that goes on after a refused
// sequence, a decoder never created must not be called (nor its INVALID_HANDLE replace the
// root cause: here the frame-size limit).
TEST(VirtualReadiness, TheFirstErrorIsTheOneReported) {
  Env after("CUFRAME_VIRTUAL_NVDEC_AFTER_REFUSAL", "continue");
  const InputSource in = InputSource::file(test::sample("testsrc2.mp4").string());
  Demuxer demux(in);
  DecodeOptions o;
  o.backend = Backend::Nvdec;
  o.limits.max_width = 640;  // the stream is 1280 wide
  std::unique_ptr<Decoder> d = open_decoder(demux, o);
  Packet p;
  const auto e = test::error_of([&] {
    while (demux.read(p)) d->send(&p);
    d->send(nullptr);
  });
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code(), Errc::LimitExceeded) << e->what();
}

int count_calls(const std::string& trace, const std::string& call) {
  std::ifstream in(trace);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) n += line.find("\"call\":\"" + call + "\"") != std::string::npos;
  return n;
}

// Item 15 and Note [Decoder cache]: a session that ended cleanly leaves its decoder for the
// next with the same format; one that failed does not; CUFRAME_NVDEC_CACHE=0 creates one
// per session. (The trace file is opened at the first traced call: one per test process.)
TEST(VirtualReadiness, TheDecoderCacheReusesOnlyCleanDecoders) {
  const std::string trace = (test::temp_dir() / "cache_trace.jsonl").string();
  Env tracing("CUFRAME_VIRTUAL_TRACE", trace);
  const std::string good = test::sample("testsrc2.mp4").string();
  // testsrc2 damaged after its first pictures: the same decoder fits it exactly, and its
  // session fails.
  std::string bytes = test::read_file(good);
  for (std::size_t k = 0; k < 64; ++k) bytes[bytes.size() / 2 + k * 997 % (bytes.size() / 3)] ^= 0x5A;
  const std::string bad = (test::temp_dir() / "damaged_testsrc2.mp4").string();
  test::write_file(bad, bytes);
  nvdec_bytes(good, Backend::Nvdec);  // creates one, or takes one an earlier test left
  const int first = count_calls(trace, "create");
  nvdec_bytes(good, Backend::Nvdec);
  EXPECT_EQ(count_calls(trace, "create"), first) << "the second session takes the first's decoder";
  EXPECT_TRUE(test::error_of([&] { nvdec_bytes(bad, Backend::Nvdec); }).has_value());
  const int before = count_calls(trace, "create");
  nvdec_bytes(good, Backend::Nvdec);
  EXPECT_EQ(count_calls(trace, "create"), before + 1) << "a failed session's decoder was reused";
  {
    Env off("CUFRAME_NVDEC_CACHE", "0");
    const int n = count_calls(trace, "create");
    nvdec_bytes(good, Backend::Nvdec);
    nvdec_bytes(good, Backend::Nvdec);
    EXPECT_EQ(count_calls(trace, "create"), n + 2) << "CUFRAME_NVDEC_CACHE=0 creates a decoder per session";
  }
  // The bytes do not depend on the cache.
  EXPECT_TRUE(nvdec_bytes(good, Backend::Nvdec) == nvdec_bytes(good, Backend::Cpu));
}

}  // namespace
}  // namespace cuframe::vgpu_test
