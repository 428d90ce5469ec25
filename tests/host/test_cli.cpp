// The `cuframe` program as users (and outside tests) call it: exit codes, the last
// stderr line "cuframe: error: <file>: <reason>", stdin input, and a binary that starts
// without an NVIDIA driver.
#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

#include <filesystem>

#include "support/process.hpp"
#include "support/test_env.hpp"

namespace cuframe {
namespace {

namespace fs = std::filesystem;
using test::ProcessOptions;
using test::ProcessResult;

ProcessResult cuframe(std::vector<std::string> args, ProcessOptions opt = {}) {
  args.insert(args.begin(), test::cli_path());
  opt.timeout_s = 60;
  return test::run_process(args, opt);
}

// A clean failure: exit 1, no signal, no hang, the error line last and naming the file.
void expect_clean_error(const ProcessResult& r, const std::string& file, const std::string& reason_part) {
  EXPECT_FALSE(r.timed_out) << "hung";
  EXPECT_EQ(r.signal, 0) << "crashed with signal " << r.signal;
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const std::string line = r.last_err_line();
  EXPECT_EQ(line.rfind("cuframe: error: " + file + ": ", 0), 0u) << line;
  EXPECT_NE(line.find(reason_part), std::string::npos) << line;
}

TEST(Cli, VersionAndHelp) {
  const ProcessResult v = cuframe({"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find("cuframe 0."), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("FFmpeg"), std::string::npos) << v.out;
  // Note [CPU rows in Highway]: the CPU executor's SIMD target, as Highway names it.
  // (No std::regex: GCC 12's -Wmaybe-uninitialized trips on it in the ASan build.)
  const std::size_t at = v.out.find("\nsimd: ");
  ASSERT_NE(at, std::string::npos) << v.out;
  const std::size_t begin = at + 7, end = v.out.find('\n', begin);
  const std::string target = v.out.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  const std::set<std::string> known = {"AVX3", "AVX3_DL", "AVX2", "SSE4", "SSSE3", "NEON", "SVE",
                                       "SVE2", "SVE_256", "SVE2_128", "EMU128", "SCALAR"};
  EXPECT_TRUE(known.count(target)) << "simd: " << target;
  const ProcessResult h = cuframe({"--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("probe"), std::string::npos);
}

TEST(Cli, UsageErrorsExit2) {
  EXPECT_EQ(cuframe({}).exit_code, 2);
  EXPECT_EQ(cuframe({"probe"}).exit_code, 2);
  EXPECT_EQ(cuframe({"probe", "a.mp4", "--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(cuframe({"no-such-command"}).exit_code, 2);
}

// Found while writing fuzz_options (docs/RELIABILITY.md): `--device cuda:x` and an ordinal
// past int's range threw std::invalid_argument / std::out_of_range out of std::stoi, which
// ended as "internal error" with exit 1; `bench` took negative ordinals. Every subcommand
// now shares one strict parser: a usage error, exit 2, saying what is accepted.
TEST(Cli, BadDeviceIsAUsageError) {
  const std::string in = test::sample("testsrc2.mp4").string();
  const std::string out = (test::temp_dir() / "dev.mp4").string();
  for (const std::string d : {"cuda:x", "cuda:99999999999", "cuda:-5", "cuda:256", "cuda:", "gpu", "CUDA"}) {
    for (const std::vector<std::string>& cmd :
         {std::vector<std::string>{"decode", in, "-o", "/dev/null", "--device", d},
          std::vector<std::string>{"transcode", in, out, "--device", d},
          std::vector<std::string>{"bench", "decode", in, "--device", d, "--repeat", "1"}}) {
      const ProcessResult r = cuframe(cmd);
      EXPECT_EQ(r.exit_code, 2) << cmd[0] << " --device " << d << ": " << r.err;
      EXPECT_NE(r.last_err_line().find("--device must be auto, cpu, cuda or cuda:N"), std::string::npos) << r.err;
      EXPECT_EQ(r.err.find("internal error"), std::string::npos) << r.err;
    }
  }
  EXPECT_FALSE(fs::exists(out));
}

TEST(Cli, ProbeJsonIsOneObject) {
  const ProcessResult r = cuframe({"probe", "--json", test::sample("bt601_full_range.mp4").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << "FFmpeg's log must stay quiet without --verbose: " << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("video").at("codec"), "h264");
  EXPECT_EQ(j.at("video").at("pix_fmt"), "yuvj420p");
  EXPECT_EQ(j.at("video").at("frames"), 60);
  EXPECT_EQ(j.at("video").at("color").at("range"), "full");
  EXPECT_EQ(j.at("video").at("color").at("matrix"), "bt601");
}

TEST(Cli, ProbeTextNamesTheEssentials) {
  const ProcessResult r = cuframe({"probe", test::sample("testsrc2_h265.mp4").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("hevc"), std::string::npos);
  EXPECT_NE(r.out.find("1280x720"), std::string::npos);
  EXPECT_NE(r.out.find("frames 60"), std::string::npos) << r.out;
}

TEST(Cli, DamagedStreamIsReportedNotFatal) {
  // corrupted.mp4: a valid container holding an H.264 packet with a broken NAL size.
  // Like ffprobe, the probe counts the 49 frames that decode and warns about the rest.
  const ProcessResult r = cuframe({"probe", "--json", test::sample("corrupted.mp4").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j.at("video").at("frames"), 49);
  EXPECT_GE(j.at("video").at("decode_errors").get<int>(), 1);
  EXPECT_NE(r.err.find("warning"), std::string::npos);
}

TEST(CliErrors, MissingFile) {
  expect_clean_error(cuframe({"probe", "/no/such/file.mp4"}), "/no/such/file.mp4", "no such file");
}

TEST(CliErrors, NotAVideo) {
  const std::string f = (test::data_dir() / "bad/not_a_video.mp4").string();
  expect_clean_error(cuframe({"probe", f}), f, "not a recognised media file");
}

TEST(CliErrors, AudioOnly) {
  const std::string f = (test::data_dir() / "bad/audio_only.m4a").string();
  expect_clean_error(cuframe({"probe", f}), f, "no video stream (audio-only");
}

TEST(CliErrors, EmptyFileAndDirectory) {
  const fs::path empty = test::temp_dir() / "empty.mkv";
  test::write_file(empty, "");
  expect_clean_error(cuframe({"probe", empty.string()}), empty.string(), "empty");
  const std::string dir = test::data_dir().string();
  expect_clean_error(cuframe({"probe", dir}), dir, "directory");
}

TEST(CliErrors, TruncatedFiles) {
  const fs::path dir = test::temp_dir();
  for (const char* name : {"testsrc2.mp4", "nasa_13013.mp4", "testsrc2_vp9.webm"}) {
    const std::string bytes = test::read_file(test::sample(name));
    for (size_t n : {size_t{100}, bytes.size() / 3, bytes.size() * 9 / 10}) {
      const fs::path cut = dir / ("cut_" + std::to_string(n) + "_" + name);
      test::write_file(cut, bytes.substr(0, n));
      const ProcessResult r = cuframe({"probe", cut.string()});
      SCOPED_TRACE(cut.string());
      EXPECT_EQ(r.signal, 0);
      EXPECT_EQ(r.exit_code, 1) << r.out;
      EXPECT_EQ(r.last_err_line().rfind("cuframe: error: " + cut.string() + ": ", 0), 0u) << r.err;
    }
  }
}

TEST(CliStdin, PipeOfStreamingFormats) {
  for (const char* rel : {"streams/nasa_rotated.ts", "streams/vp9_short.mkv"}) {
    const std::string path = (test::data_dir() / rel).string();
    const std::string bytes = test::read_file(path);
    ProcessOptions opt;
    opt.stdin_data = bytes;  // a real pipe: not seekable
    const ProcessResult piped = cuframe({"probe", "--json", "-"}, opt);
    ASSERT_EQ(piped.exit_code, 0) << rel << ": " << piped.err;
    const ProcessResult direct = cuframe({"probe", "--json", path});
    ASSERT_EQ(direct.exit_code, 0) << direct.err;
    const auto a = nlohmann::json::parse(piped.out), b = nlohmann::json::parse(direct.out);
    EXPECT_EQ(a.at("video").at("frames"), b.at("video").at("frames")) << rel;
    EXPECT_EQ(a.at("video").at("codec"), b.at("video").at("codec")) << rel;
    EXPECT_EQ(a.at("video").at("width"), b.at("video").at("width")) << rel;
    EXPECT_EQ(a.at("size_bytes"), -1) << "a pipe has no size";
  }
}

TEST(CliStdin, RedirectedMp4IsSeekable) {
  ProcessOptions opt;
  opt.stdin_file = (test::data_dir() / "streams/moov_at_end.mp4").string();  // stdin is a regular file
  const ProcessResult r = cuframe({"probe", "--json", "-"}, opt);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out).at("video").at("frames"), 10);
}

TEST(CliStdin, Mp4WithIndexAtTheEndOnAPipeSaysWhatToDo) {
  ProcessOptions opt;
  opt.stdin_data = test::read_file(test::data_dir() / "streams/moov_at_end.mp4");
  const ProcessResult r = cuframe({"probe", "-"}, opt);
  expect_clean_error(r, "-", "faststart");
}

TEST(CliStdin, PipeClosedEarly) {
  ProcessOptions opt;
  opt.stdin_data = test::read_file(test::sample("testsrc2_vp9.webm"));
  opt.close_stdin_early = true;
  const ProcessResult r = cuframe({"probe", "-"}, opt);
  expect_clean_error(r, "-", "truncated");
}

TEST(CliDriver, DevicesAnswersWithOrWithoutADriver) {
  const ProcessResult r = cuframe({"devices", "--json", "--caps"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  if (!j.at("libcuda").get<bool>()) {
    EXPECT_TRUE(j.at("devices").empty());
    EXPECT_NE(j.at("problem").get<std::string>().find("libcuda"), std::string::npos);
  } else {
    EXPECT_EQ(j.at("devices").size() > 0, j.at("problem").get<std::string>().empty());
  }
}

// Nothing links the driver: the program must start on a machine without one.
TEST(CliDriver, LinksNoDriverLibrary) {
  const std::string ldd = test::tool_path("CUFRAME_LDD", "ldd");
  if (ldd.empty()) GTEST_SKIP() << "ldd not found";
  const ProcessResult r = test::run_process({ldd, test::cli_path()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string out = r.out;
#if defined(CUFRAME_TEST_VIRTUAL_GPU)
  // The virtual-gpu build links its own libcuda.so.1 (the virtual device) from the build
  // tree, by design; nothing else of a driver.
  const std::string virtual_cuda = "libcuda.so.1 => " CUFRAME_TEST_VIRTUAL_CUDA;
  const auto at = out.find(virtual_cuda);
  EXPECT_NE(at, std::string::npos) << "the virtual libcuda.so.1 is not the one linked:\n" << out;
  if (at != std::string::npos) out.erase(at, virtual_cuda.size());
#endif
  for (const char* lib : {"libcuda.so", "libnvcuvid", "libnvidia-encode", "libcudart.so", "libnvidia-ml"})
    EXPECT_EQ(out.find(lib), std::string::npos) << lib << " is linked:\n" << r.out;
  EXPECT_EQ(r.out.find("not found"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace cuframe
