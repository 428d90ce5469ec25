// Frame-accurate seeking: for random indices on every sample and conformance stream, the
// frame a seek delivers equals the frame decoding from the start gives at that position
// (pixels, index and timestamp). Streams with B-frames, open GOPs (HEVC CRA), edit lists
// (discard_first_keyframe.mp4) and a non-zero start are among them.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "cuframe/decoder.hpp"
#include "cuframe/error.hpp"
#include "support/helpers.hpp"
#include "support/test_env.hpp"

namespace cuframe {
namespace {

namespace fs = std::filesystem;

struct Reference {
  std::vector<uint64_t> hash;
  std::vector<int64_t> pts;
};

Reference decode_all(const std::string& file) {
  Reference r;
  VideoReader reader(InputSource::file(file));
  FrameBatch b = reader.make_batch();
  while (reader.read(b))
    for (int i = 0; i < b.size(); ++i) {
      r.hash.push_back(test::frame_hash(b, i));
      r.pts.push_back(b.info(i).pts);
    }
  return r;
}

std::vector<std::string> seekable_streams() {
  std::vector<std::string> files;
  for (const auto& n : test::sample_names())
    if (n != "corrupted.mp4") files.push_back("samples/" + n);
  for (const auto& e : fs::directory_iterator(test::data_dir() / "h264")) {
    const auto ext = e.path().extension().string();
    if (ext == ".264" || ext == ".h264" || ext == ".jsv") files.push_back("h264/" + e.path().filename().string());
  }
  for (const char* s : {"streams/hevc_open_gop.mp4", "streams/h264_bframes_gop12.mp4", "streams/nasa_rotated.ts",
                        "streams/vp9_short.mkv"})
    files.push_back(s);
  std::sort(files.begin(), files.end());
  return files;
}

class Seek : public testing::TestWithParam<std::string> {};

TEST_P(Seek, RandomFramesEqualDecodingFromTheStart) {
  const std::string file = (test::data_dir() / GetParam()).string();
  const Reference ref = decode_all(file);
  ASSERT_FALSE(ref.hash.empty());
  const auto n = static_cast<int64_t>(ref.hash.size());

  ReaderOptions o;
  o.batch_frames = 2;
  VideoReader reader(InputSource::file(file), o);
  EXPECT_EQ(reader.frame_count(), n) << "the frame index disagrees with a full decode";
  FrameBatch b = reader.make_batch();
  std::mt19937 rng(static_cast<uint32_t>(std::hash<std::string>{}(GetParam())));
  std::vector<int64_t> targets = {n - 1, 0, n / 2};
  for (int k = 0; k < 6; ++k) targets.push_back(static_cast<int64_t>(rng() % static_cast<uint32_t>(n)));
  for (int64_t t : targets) {
    SCOPED_TRACE("frame " + std::to_string(t) + " of " + std::to_string(n));
    reader.seek(t);
    ASSERT_TRUE(reader.read(b));
    EXPECT_EQ(b.info(0).index, t);
    EXPECT_EQ(b.info(0).pts, ref.pts[static_cast<size_t>(t)]);
    EXPECT_EQ(test::frame_hash(b, 0), ref.hash[static_cast<size_t>(t)]) << "pixels differ from the sequential decode";
    if (t + 1 < n) {
      ASSERT_EQ(b.size(), 2);
      EXPECT_EQ(test::frame_hash(b, 1), ref.hash[static_cast<size_t>(t + 1)]) << "the frame after the target";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllStreams, Seek, testing::ValuesIn(seekable_streams()),
                         test::param_name);

TEST(SeekApi, ByTimestampAndOutOfRange) {
  const std::string file = test::sample("nasa_13013.mp4").string();
  const Reference ref = decode_all(file);
  VideoReader reader(InputSource::file(file));
  FrameBatch b = reader.make_batch();
  // A timestamp between two frames gives the later one.
  reader.seek_pts(ref.pts[100] + 1);
  ASSERT_TRUE(reader.read(b));
  EXPECT_EQ(b.info(0).index, 101);
  EXPECT_EQ(test::frame_hash(b, 0), ref.hash[101]);
  try {
    reader.seek(static_cast<int64_t>(ref.hash.size()));
    FAIL() << "seek past the end accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::InvalidArgument);
    EXPECT_NE(e.reason().find("325 frames"), std::string::npos) << e.what();
  }
  // Reading on after a seek continues in order to the end.
  reader.seek(320);
  int64_t got = 0;
  while (reader.read(b)) got += b.size();
  EXPECT_EQ(got, 5);
}

}  // namespace
}  // namespace cuframe
