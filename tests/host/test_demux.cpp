// Demuxer: file, memory and stdin sources give the same packets; the Annex-B conversion
// NVDEC runs; clean errors on bad input; limits checked before anything is allocated.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <filesystem>

#include "cuframe/demuxer.hpp"
#include "cuframe/error.hpp"
#include "ffmpeg_util.hpp"
#include "native.hpp"  // white box: the Annex-B filter NVDEC uses
#include "support/ffprobe_oracle.hpp"
#include "support/helpers.hpp"
#include "support/test_env.hpp"

namespace cuframe {
namespace {

namespace fs = std::filesystem;

struct PacketDigest {
  int64_t count = 0;
  uint64_t hash = 1469598103934665603ull;  // FNV-1a over data and timestamps
  int64_t keyframes = 0;
  void add(const Packet& p) {
    ++count;
    keyframes += p.keyframe();
    auto mix = [&](const void* d, size_t n) {
      for (size_t i = 0; i < n; ++i) hash = (hash ^ static_cast<const uint8_t*>(d)[i]) * 1099511628211ull;
    };
    mix(p.data().data(), p.data().size());
    const int64_t ts[2] = {p.pts(), p.dts()};
    mix(ts, sizeof ts);
  }
};

PacketDigest digest(Demuxer& d) {
  PacketDigest g;
  Packet p;
  while (d.read(p)) g.add(p);
  return g;
}

bool starts_with_start_code(std::span<const uint8_t> b) {
  return (b.size() >= 4 && b[0] == 0 && b[1] == 0 && b[2] == 0 && b[3] == 1) ||
         (b.size() >= 3 && b[0] == 0 && b[1] == 0 && b[2] == 1);
}

Error error_of(const std::function<void()>& fn) {
  const auto e = test::error_of(fn);
  if (!e) ADD_FAILURE() << "no cuframe::Error thrown";
  return e.value_or(Error(Errc::Internal, "", "no error"));
}

TEST(Demuxer, MemoryGivesTheSamePacketsAsTheFile) {
  for (const char* name : {"nasa_13013.mp4", "testsrc2_vp9.webm", "h265_10bits.mp4", "av1_video.mkv"}) {
    const std::string path = test::sample(name).string();
    Demuxer from_file(InputSource::file(path));
    const std::string bytes = test::read_file(path);
    Demuxer from_memory(InputSource::memory(std::as_bytes(std::span(bytes.data(), bytes.size())), name));
    EXPECT_EQ(from_memory.name(), name);
    const PacketDigest a = digest(from_file), b = digest(from_memory);
    EXPECT_GT(a.count, 0) << name;
    EXPECT_EQ(a.count, b.count) << name;
    EXPECT_EQ(a.hash, b.hash) << name;
  }
}

TEST(Demuxer, PacketCountMatchesFfprobe) {
  for (const char* name : {"nasa_13013.mp4", "discard_first_keyframe.mp4", "testsrc2_vp8.webm", "testsrc2_mpeg4.avi"}) {
    const std::string path = test::sample(name).string();
    const auto oracle = test::ffprobe(path, false, /*count_packets=*/true);
    if (oracle.is_null()) GTEST_SKIP() << "ffprobe not found";
    Demuxer d(InputSource::file(path));
    const PacketDigest g = digest(d);
    EXPECT_EQ(g.count, std::stoll(test::first_video(oracle).at("nb_read_packets").get<std::string>())) << name;
    EXPECT_GE(g.keyframes, 1) << name;
  }
}

// The one Annex-B path (detail::make_annexb_filter, which NVDEC's decoder runs on the
// demuxer's packets): start codes everywhere, parameter sets in band, no packet added or
// dropped.
TEST(AnnexB, FilterForNvdec) {
  for (const char* name : {"nasa_13013.mp4", "testsrc2_h265.mp4", "h264_10bits.mp4", "bt2020_10bit.mp4"}) {
    Demuxer d(InputSource::file(test::sample(name).string()));
    const AVCodecParameters* par = detail::codec_parameters(d);
    detail::BsfPtr bsf = detail::make_annexb_filter(par, AVRational{d.video().time_base.num, d.video().time_base.den}, name);
    ASSERT_TRUE(bsf) << name;
    ASSERT_GT(bsf->par_out->extradata_size, 0) << name;
    ASSERT_TRUE(starts_with_start_code(std::span<const std::uint8_t>(bsf->par_out->extradata,
                                                                     static_cast<size_t>(bsf->par_out->extradata_size))))
        << name << ": parameter sets not in Annex-B form";
    Packet p;
    detail::PacketPtr out = detail::make_packet();
    int64_t in = 0, n = 0;
    auto drain = [&] {
      for (;;) {
        const int ret = av_bsf_receive_packet(bsf.get(), out.get());
        if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
        ASSERT_EQ(ret, 0) << name;
        ASSERT_TRUE(starts_with_start_code(std::span<const std::uint8_t>(out->data, static_cast<size_t>(out->size))))
            << name << " packet " << n;
        ++n;
        av_packet_unref(out.get());
      }
    };
    while (d.read(p)) {
      ++in;
      ASSERT_EQ(av_bsf_send_packet(bsf.get(), detail::native(p)), 0) << name;
      drain();
    }
    ASSERT_EQ(av_bsf_send_packet(bsf.get(), nullptr), 0);
    drain();
    EXPECT_EQ(n, in) << name << ": the Annex-B filter must not add or drop packets";
    EXPECT_GT(n, 0);
  }
}

TEST(Demuxer, PacketsAreAsStored) {
  Demuxer d(InputSource::file(test::sample("nasa_13013.mp4").string()));
  // avcC extradata starts with configurationVersion 1, not a start code.
  ASSERT_GT(detail::codec_parameters(d)->extradata_size, 0);
  EXPECT_EQ(detail::codec_parameters(d)->extradata[0], 1);
  Packet p;
  ASSERT_TRUE(d.read(p));
  EXPECT_FALSE(starts_with_start_code(p.data()));
  EXPECT_TRUE(p.keyframe());
}

TEST(Demuxer, DescribesTheStream) {
  Demuxer d(InputSource::file(test::sample("test_non_zero_start.mp4").string()));
  EXPECT_EQ(d.video().codec, Codec::H264);
  EXPECT_EQ(d.video().width, 200);
  EXPECT_EQ(d.video().height, 112);
  EXPECT_EQ(d.video().sar, (Rational{224, 225}));
  EXPECT_EQ(d.video().frames, -1) << "the demuxer does not decode; probe() counts";
  Packet p;
  ASSERT_TRUE(d.read(p));
  EXPECT_GT(p.pts(), 0) << "timestamps keep the non-zero start";
}

TEST(DemuxerErrors, MissingFile) {
  const Error e = error_of([] { Demuxer d(InputSource::file("/no/such/video.mp4")); });
  EXPECT_EQ(e.code(), Errc::NotFound);
  EXPECT_EQ(e.subject(), "/no/such/video.mp4");
}

TEST(DemuxerErrors, NotAVideo) {
  const Error e = error_of([] { Demuxer d(InputSource::file((test::data_dir() / "bad/not_a_video.mp4").string())); });
  EXPECT_EQ(e.code(), Errc::InvalidData);
  EXPECT_NE(e.reason().find("not a recognised media file"), std::string::npos) << e.what();
}

TEST(DemuxerErrors, AudioOnly) {
  const Error e = error_of([] { Demuxer d(InputSource::file((test::data_dir() / "bad/audio_only.m4a").string())); });
  EXPECT_EQ(e.code(), Errc::Unsupported);
  EXPECT_NE(e.reason().find("audio-only"), std::string::npos) << e.what();
}

TEST(DemuxerErrors, EmptyInputs) {
  const fs::path empty = test::temp_dir() / "empty.mp4";
  test::write_file(empty, "");
  EXPECT_EQ(error_of([&] { Demuxer d(InputSource::file(empty.string())); }).code(), Errc::InvalidData);
  EXPECT_EQ(error_of([] { Demuxer d(InputSource::memory({}, "buf")); }).code(), Errc::InvalidData);
  EXPECT_EQ(error_of([] { Demuxer d(InputSource::file(test::data_dir().string())); }).code(), Errc::InvalidArgument);
}

// Truncation at many offsets: an error at open or while reading, never a crash, and
// never a clean end of stream that silently drops the tail.
TEST(DemuxerErrors, TruncatedAnywhere) {
  for (const char* name : {"testsrc2.mp4", "nasa_13013.mp4", "testsrc2_vp9.webm", "av1_video.mkv"}) {
    const std::string bytes = test::read_file(test::sample(name));
    for (double frac : {0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95}) {
      const size_t n = static_cast<size_t>(static_cast<double>(bytes.size()) * frac);
      const std::string cut = bytes.substr(0, n);
      bool failed = false;
      try {
        Demuxer d(InputSource::memory(std::as_bytes(std::span(cut.data(), cut.size())), name));
        Packet p;
        while (d.read(p)) {
        }
      } catch (const Error& e) {
        failed = true;
        EXPECT_TRUE(e.code() == Errc::InvalidData || e.code() == Errc::Unsupported) << e.what();
        EXPECT_EQ(e.subject(), name);
      }
      EXPECT_TRUE(failed) << name << " cut to " << n << " of " << bytes.size() << " bytes read as complete";
    }
  }
}

TEST(DemuxerErrors, CorruptHeader) {
  // Overwrite the moov box's children: the container's index is garbage.
  std::string bytes = test::read_file(test::sample("testsrc2.mp4"));
  const size_t moov = bytes.find("moov");
  ASSERT_NE(moov, std::string::npos);
  for (size_t i = moov + 4; i < moov + 400 && i < bytes.size(); ++i) bytes[i] = static_cast<char>(0xFF ^ (i * 7));
  const Error e = error_of([&] {
    Demuxer d(InputSource::memory(std::as_bytes(std::span(bytes.data(), bytes.size())), "corrupt.mp4"));
    Packet p;
    while (d.read(p)) {
    }
  });
  EXPECT_EQ(e.subject(), "corrupt.mp4");
  EXPECT_TRUE(e.code() == Errc::InvalidData || e.code() == Errc::Unsupported) << e.what();
}

TEST(DemuxerLimits, CheckedBeforeAllocating) {
  DemuxOptions opt;
  opt.limits.max_pixels = 320 * 200;
  const Error e = error_of([&] { Demuxer d(InputSource::file(test::sample("testsrc2.mp4").string()), opt); });
  EXPECT_EQ(e.code(), Errc::LimitExceeded);
  EXPECT_NE(e.reason().find("max_pixels"), std::string::npos) << e.what();
  EXPECT_NE(e.reason().find("921600"), std::string::npos) << e.what();
  opt.limits = Limits{};
  opt.limits.max_width = 640;
  EXPECT_EQ(error_of([&] { Demuxer d(InputSource::file(test::sample("testsrc2.mp4").string()), opt); }).code(),
            Errc::LimitExceeded);
}

TEST(DemuxerLimits, AbsurdStreamIndex) {
  DemuxOptions opt;
  opt.stream_index = 7;
  EXPECT_EQ(error_of([&] { Demuxer d(InputSource::file(test::sample("testsrc2.mp4").string()), opt); }).code(),
            Errc::NotFound);
}

}  // namespace
}  // namespace cuframe
