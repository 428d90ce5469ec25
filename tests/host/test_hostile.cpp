// Hostile input: each case gets a clean error (a cuframe::Error naming the input, exit 1
// from the CLI) or a documented result — never a crash, a hang (per-test timeout) or a
// leak (the suite also runs under ASan/UBSan/LSan in CI).
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <random>
#include <span>

#include "cuframe/decoder.hpp"
#include "cuframe/error.hpp"
#include "cuframe/ops.hpp"
#include "cuframe/probe.hpp"
#include "support/helpers.hpp"
#include "support/process.hpp"
#include "support/test_env.hpp"

namespace cuframe {
namespace {

namespace fs = std::filesystem;

using test::error_of;

void decode_all(const InputSource& in, ReaderOptions o = {}) {
  o.batch_frames = 8;
  VideoReader r(in, o);
  FrameBatch b = r.make_batch();
  int batches = 0;
  while (r.read(b) && ++batches < 1000) {
  }
}

TEST(Hostile, EncryptedMp4IsRefusedWithAHint) {
  const std::string f = (test::data_dir() / "bad/encrypted_cenc.mp4").string();
  for (const auto& fn : std::vector<std::function<void()>>{
           [&] { probe(InputSource::file(f)); }, [&] { decode_all(InputSource::file(f)); }}) {
    const auto e = error_of(fn);
    ASSERT_TRUE(e.has_value());
    EXPECT_EQ(e->code(), Errc::Unsupported);
    EXPECT_NE(e->reason().find("encrypted"), std::string::npos) << e->what();
    EXPECT_NE(e->reason().find("decryption_key"), std::string::npos) << "says what to do instead";
  }
}

TEST(Hostile, ResolutionChangeMidStream) {
  // Documented result: the engine decodes one frame size per stream and says so.
  const std::string f = (test::data_dir() / "bad/resolution_change.ts").string();
  const auto e = error_of([&] { decode_all(InputSource::file(f)); });
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code(), Errc::Unsupported);
  EXPECT_NE(e->reason().find("changes mid-stream"), std::string::npos) << e->what();
}

TEST(Hostile, AbsurdDeclaredSizeIsRefusedBeforeAllocating) {
  // A y4m header declaring 100000x100000 frames, followed by a few bytes.
  const std::string bytes = "YUV4MPEG2 W100000 H100000 F25:1 Ip A1:1 C420jpeg\nFRAME\n" + std::string(64, '\x10');
  const AllocationStats before = allocation_stats();
  const auto e = error_of([&] { decode_all(InputSource::memory(std::as_bytes(std::span(bytes.data(), bytes.size())), "huge.y4m")); });
  ASSERT_TRUE(e.has_value());
  EXPECT_TRUE(e->code() == Errc::LimitExceeded || e->code() == Errc::InvalidData) << e->what();
  EXPECT_EQ(allocation_stats().host_bytes, before.host_bytes) << "nothing of that size may be allocated";
}

TEST(Hostile, WrongExtensionIsIrrelevant) {
  const fs::path p = test::temp_dir() / "actually_an_mp4.mkv";
  fs::copy_file(test::sample("h265_video.mp4"), p);
  EXPECT_EQ(probe(InputSource::file(p.string())).video.frames, 10);
}

// Byte flips at random places (seeded): any outcome but a crash, a hang or a sanitizer
// report is acceptable; errors must be cuframe::Error naming the input.
TEST(Hostile, FlippedBytesNeverCrash) {
  for (const char* name : {"nasa_13013_rotated.mp4", "h265_10bits.mp4", "testsrc2_vp9.webm"}) {
    const std::string original = test::read_file(test::sample(name));
    std::mt19937 rng(12345);
    int errors = 0, decoded = 0;
    for (int round = 0; round < 60; ++round) {
      std::string bytes = original;
      const int flips = 1 + static_cast<int>(rng() % 16);
      for (int k = 0; k < flips; ++k) bytes[rng() % bytes.size()] ^= static_cast<char>(1 + rng() % 255);
      ReaderOptions o;
      o.decode.threads = 1;
      o.decode.conceal_errors = round % 2 == 0;
      const auto e = error_of([&] { decode_all(InputSource::memory(std::as_bytes(std::span(bytes.data(), bytes.size())), "flipped"), o); });
      if (e) {
        ++errors;
        EXPECT_FALSE(e->subject().empty()) << e->what();
        EXPECT_NE(e->code(), Errc::Internal) << e->what();
      } else {
        ++decoded;
      }
    }
    EXPECT_EQ(errors + decoded, 60) << name;
  }
}

TEST(Hostile, CliOnHostileFilesExitsCleanly) {
  for (const char* rel : {"bad/encrypted_cenc.mp4", "bad/resolution_change.ts", "bad/audio_only.m4a", "bad/not_a_video.mp4"}) {
    const std::string f = (test::data_dir() / rel).string();
    test::ProcessOptions o;
    o.timeout_s = 60;
    const auto r = test::run_process({test::cli_path(), "decode", f, "-o", "/dev/null"}, o);
    EXPECT_FALSE(r.timed_out) << rel;
    EXPECT_EQ(r.signal, 0) << rel;
    EXPECT_EQ(r.exit_code, 1) << rel << ": " << r.err;
    EXPECT_EQ(r.last_err_line().rfind("cuframe: error: " + f + ": ", 0), 0u) << r.err;
  }
}

}  // namespace
}  // namespace cuframe

namespace cuframe {
namespace {

// Regression inputs found by fuzzing (docs/RELIABILITY.md). Each is run through the same
// path as its fuzz target; under the asan preset (CI) UBSan/ASan would flag a relapse.
TEST(FuzzRegressions, ProbeOfOutOfRangeColourEnums) {
  // A damaged stream whose colour fields hold 255, outside FFmpeg's enums: a clean result
  // with "unknown"/default colour, or a clean error — no undefined behaviour.
  const std::string bytes = test::read_file(test::data_dir() / "fuzz_regressions/probe_color_space_255.bin");
  ProbeOptions o;
  o.threads = 1;
  o.limits.max_pixels = 640 * 368;
  const auto e = test::error_of([&] {
    const MediaInfo info = probe(InputSource::memory(std::as_bytes(std::span(bytes.data(), bytes.size())), "fuzz"), o);
    EXPECT_NE(info.video.color.matrix_tag, "");
  });
  if (e) {
    EXPECT_NE(e->code(), Errc::Internal) << e->what();
  }
}

TEST(FuzzRegressions, OpsTextRoundTripOfTinyValues) {
  for (const char* file : {"ops_small_blur_roundtrip.txt", "ops_long_fraction_roundtrip.txt"}) {
    const std::string text = test::read_file(test::data_dir() / "fuzz_regressions" / file);
    const auto ops = parse_ops(text);
    std::string again;
    for (const Op& op : ops) {
      if (!again.empty()) again += ',';
      again += to_string(op);
    }
    EXPECT_EQ(parse_ops(again), ops) << file << ": " << again;
  }
  for (const char* t : {"blur=0.000001", "contrast=.0000000000000000000000000000001", "brightness=-0.0000000004",
                        "blur=99.999999999999", "contrast=+9.1234567891"}) {
    const auto ops = parse_ops(t);
    ASSERT_EQ(ops.size(), 1u) << t;
    EXPECT_EQ(parse_ops(to_string(ops[0])), ops) << t << " -> " << to_string(ops[0]);
  }
}

}  // namespace
}  // namespace cuframe
