// cuframe::probe against ffprobe (the oracle) on every sample, conformance stream and
// container we ship: same codec, profile, size, pixel format, exact frame count (what
// `ffprobe -count_frames` reports), frame rate, rotation, colour tags, SAR, duration.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "cuframe/probe.hpp"
#include "support/ffprobe_oracle.hpp"
#include "support/helpers.hpp"
#include "support/test_env.hpp"

namespace cuframe {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> all_inputs() {
  std::vector<std::string> files;
  for (const auto& n : test::sample_names()) files.push_back("samples/" + n);
  for (const auto& e : fs::directory_iterator(test::data_dir() / "h264")) {
    const auto ext = e.path().extension().string();
    if (ext == ".264" || ext == ".h264" || ext == ".jsv") files.push_back("h264/" + e.path().filename().string());
  }
  for (const auto& e : fs::directory_iterator(test::data_dir() / "streams"))
    files.push_back("streams/" + e.path().filename().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::string str(const nlohmann::json& j, const char* key, const char* fallback) {
  return j.contains(key) ? j.at(key).get<std::string>() : fallback;
}

int expected_rotation(const nlohmann::json& stream) {
  if (!stream.contains("side_data_list")) return 0;
  for (const auto& sd : stream.at("side_data_list")) {
    if (sd.value("side_data_type", "") != "Display Matrix" || !sd.contains("rotation")) continue;
    // ffprobe prints the counter-clockwise angle; players turn clockwise by its negation.
    const long ccw = std::lround(sd.at("rotation").get<double>());
    return static_cast<int>(((-ccw % 360) + 360) % 360);
  }
  return 0;
}

const ProbeOptions kHeaderOnly = [] {
  ProbeOptions o;
  o.count_frames = false;
  return o;
}();

class ProbeVsFfprobe : public testing::TestWithParam<std::string> {};

TEST_P(ProbeVsFfprobe, SameFacts) {
  const std::string file = (test::data_dir() / GetParam()).string();
  const nlohmann::json oracle = test::ffprobe(file, /*count_frames=*/true);
  if (oracle.is_null()) GTEST_SKIP() << "ffprobe not found (set CUFRAME_FFPROBE)";
  const nlohmann::json& s = test::first_video(oracle);
  const nlohmann::json& f = oracle.at("format");

  const MediaInfo info = probe(InputSource::file(file));
  const VideoStreamInfo& v = info.video;
  EXPECT_EQ(info.container, f.at("format_name").get<std::string>());
  EXPECT_EQ(v.index, s.at("index").get<int>());
  EXPECT_EQ(v.codec_name, s.at("codec_name").get<std::string>());
  EXPECT_EQ(v.profile, str(s, "profile", "unknown"));
  EXPECT_EQ(v.width, s.at("width").get<int>());
  EXPECT_EQ(v.height, s.at("height").get<int>());
  EXPECT_EQ(v.pix_fmt, s.at("pix_fmt").get<std::string>());
  ASSERT_TRUE(s.contains("nb_read_frames"));
  EXPECT_EQ(v.frames, std::stoll(s.at("nb_read_frames").get<std::string>())) << "frame count differs";

  const std::string avg = str(s, "avg_frame_rate", "0/0");
  const std::string fps = avg != "0/0" ? avg : str(s, "r_frame_rate", "0/0");
  EXPECT_EQ(std::to_string(v.fps.num) + "/" + std::to_string(v.fps.den), fps);
  EXPECT_EQ(v.rotation, expected_rotation(s));

  std::string sar = str(s, "sample_aspect_ratio", "1:1");
  if (sar == "0:1" || sar == "N/A") sar = "1:1";
  EXPECT_EQ(std::to_string(v.sar.num) + ":" + std::to_string(v.sar.den), sar);

  EXPECT_EQ(v.color.matrix_tag, str(s, "color_space", "unknown"));
  EXPECT_EQ(v.color.range_tag, str(s, "color_range", "unknown"));
  EXPECT_EQ(v.color.primaries, str(s, "color_primaries", "unknown"));
  EXPECT_EQ(v.color.transfer, str(s, "color_transfer", "unknown"));
  EXPECT_EQ(v.color.chroma_location_tag, str(s, "chroma_location", "unspecified"));

  if (s.contains("duration")) {
    EXPECT_NEAR(v.duration_s, std::stod(s.at("duration").get<std::string>()), 1e-3);
  } else if (f.contains("duration")) {
    EXPECT_NEAR(v.duration_s, std::stod(f.at("duration").get<std::string>()), 1e-3);
  }
  size_t audio = 0;
  for (const auto& st : oracle.at("streams")) audio += st.value("codec_type", "") == "audio";
  EXPECT_EQ(info.audio.size(), audio);
}

INSTANTIATE_TEST_SUITE_P(AllInputs, ProbeVsFfprobe, testing::ValuesIn(all_inputs()),
                         test::param_name);

// The effective colour description follows DESIGN.md's rules for untagged streams.
TEST(ProbeColor, DefaultsForUntaggedStreams) {
  const MediaInfo hd = probe(InputSource::file(test::sample("testsrc2.mp4").string()), kHeaderOnly);
  EXPECT_EQ(hd.video.height, 720);
  EXPECT_FALSE(hd.video.color.matrix_from_stream);
  EXPECT_EQ(hd.video.color.matrix, ColorMatrix::BT709);  // height >= 720
  EXPECT_EQ(hd.video.color.range, ColorRange::Limited);
  EXPECT_EQ(hd.video.color.chroma_location, ChromaLocation::Left);

  const MediaInfo sd = probe(InputSource::file(test::sample("h264_10bits.mp4").string()), kHeaderOnly);
  EXPECT_FALSE(sd.video.color.matrix_from_stream);
  EXPECT_EQ(sd.video.color.matrix, ColorMatrix::BT601);  // height < 720
}

TEST(ProbeColor, TaggedStreams) {
  const MediaInfo full = probe(InputSource::file(test::sample("bt601_full_range.mp4").string()), kHeaderOnly);
  EXPECT_EQ(full.video.color.matrix, ColorMatrix::BT601);
  EXPECT_EQ(full.video.color.range, ColorRange::Full);
  EXPECT_EQ(full.video.pix_fmt, "yuvj420p");
  const MediaInfo hdr = probe(InputSource::file(test::sample("bt2020_10bit.mp4").string()), kHeaderOnly);
  EXPECT_EQ(hdr.video.color.matrix, ColorMatrix::BT2020);
  EXPECT_EQ(hdr.video.color.transfer, "smpte2084");
  EXPECT_EQ(hdr.video.bit_depth, 10);
  EXPECT_EQ(hdr.video.chroma, ChromaFormat::Yuv420);
  const MediaInfo yuv444 = probe(InputSource::file(test::sample("testsrc2_444_12bit_hevc.mp4").string()), kHeaderOnly);
  EXPECT_EQ(yuv444.video.chroma, ChromaFormat::Yuv444);
  EXPECT_EQ(yuv444.video.bit_depth, 12);
}

TEST(ProbeJson, HasTheDocumentedShape) {
  const MediaInfo info = probe(InputSource::file(test::sample("nasa_13013_rotated.mp4").string()));
  const auto j = nlohmann::json::parse(to_json(info));
  for (const char* key : {"container", "video", "audio"}) EXPECT_TRUE(j.contains(key)) << key;
  const auto& v = j.at("video");
  for (const char* key : {"codec", "profile", "width", "height", "pix_fmt", "bit_depth", "chroma", "frames", "fps",
                          "duration_s", "rotation", "color", "sar"})
    EXPECT_TRUE(v.contains(key)) << key;
  for (const char* key : {"matrix", "range", "primaries", "transfer", "chroma_location"})
    EXPECT_TRUE(v.at("color").contains(key)) << key;
  EXPECT_EQ(v.at("rotation"), 270);
  EXPECT_EQ(v.at("frames"), 17);
  EXPECT_EQ(v.at("fps"), "30000/1001");
  EXPECT_EQ(v.at("chroma"), "420");
  EXPECT_EQ(v.at("color").at("matrix"), "bt709");
  EXPECT_EQ(v.at("color").at("range"), "limited");
}

}  // namespace
}  // namespace cuframe
