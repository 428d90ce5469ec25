// The CLI's option handling on its own (host/cli/options.cpp, the code fuzz_options
// drives): devices, rates, the spread of manifest jobs over GPUs, manifest shards, and what
// the words of a transcode command become.
#include <gtest/gtest.h>

#include <map>

#include "cuframe/error.hpp"
#include "options.hpp"
#include "support/helpers.hpp"

namespace cuframe::cli {
namespace {

TEST(CliOptions, DeviceWords) {
  EXPECT_EQ(parse_device("auto").backend, Backend::Auto);
  EXPECT_EQ(parse_device("cpu").backend, Backend::Cpu);
  const DeviceChoice cuda = parse_device("cuda");
  EXPECT_EQ(cuda.backend, Backend::Nvdec);
  EXPECT_EQ(cuda.ordinal, 0);
  EXPECT_FALSE(cuda.explicit_ordinal);
  const DeviceChoice three = parse_device("cuda:3");
  EXPECT_EQ(three.ordinal, 3);
  EXPECT_TRUE(three.explicit_ordinal);
  EXPECT_EQ(parse_device("cuda:255").ordinal, 255);
  EXPECT_EQ(parse_device("cuda:007").ordinal, 7);
  for (const char* bad : {"", "cuda:", "cuda:256", "cuda:-1", "cuda:+1", "cuda:1x", "cuda:99999999999", "cuda:0:1",
                          "gpu", "CPU", " cpu", "cuda :1"}) {
    const auto e = test::error_of([&] { parse_device(bad); });
    ASSERT_TRUE(e.has_value()) << "'" << bad << "' was accepted";
    EXPECT_EQ(e->code(), Errc::InvalidArgument);
    EXPECT_TRUE(e->subject().empty()) << "a usage error has no subject";
  }
}

TEST(CliOptions, ManifestJobsSpreadOverEveryGpu) {
  const DeviceChoice any = parse_device("auto");
  EXPECT_EQ(device_for_job(any, 0, 4), 0);
  EXPECT_EQ(device_for_job(any, 5, 4), 1);
  EXPECT_EQ(device_for_job(any, 7, 4), 3);
  EXPECT_EQ(device_for_job(parse_device("cuda"), 6, 4), 2);
  EXPECT_EQ(device_for_job(any, 5, 1), 0) << "one GPU: every job on it";
  EXPECT_EQ(device_for_job(any, 5, 0), 0) << "no GPU: the CPU path ignores the ordinal";
  EXPECT_EQ(device_for_job(parse_device("cuda:2"), 5, 4), 2) << "cuda:N pins every job";
  EXPECT_EQ(device_for_job(parse_device("cpu"), 5, 4), 0);
}

// Note [Manifest shards]: I/N from the words, or N with I from a Kubernetes Indexed Job or
// a Slurm job array; the environment here is a map, not the process's.
TEST(CliOptions, ShardWords) {
  std::map<std::string, std::string> vars;
  const EnvLookup env = [&vars](const char* name) -> const char* {
    const auto v = vars.find(name);
    return v == vars.end() ? nullptr : v->second.c_str();
  };
  const ShardChoice s = parse_shard("2/3", env);
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 3);
  EXPECT_TRUE(s.source.empty());
  EXPECT_EQ(parse_shard("0/1", env).count, 1);
  EXPECT_EQ(parse_shard("999999998/999999999", env).index, 999999998);
  for (const char* bad : {"", "3/3", "0/0", "x", "-1/3", "1/-3", "+1/3", "1/", "/3", " 1/3", "1/3 ", "1/3/5", "1.0/3",
                          "0", "1234567890", "0/1234567890", "a/3", "1/b"}) {
    vars = {{"JOB_COMPLETION_INDEX", "0"}};
    const auto e = test::error_of([&] { parse_shard(bad, env); });
    ASSERT_TRUE(e.has_value()) << "'" << bad << "' was accepted";
    EXPECT_EQ(e->code(), Errc::InvalidArgument);
    EXPECT_TRUE(e->subject().empty()) << "'" << bad << "': a usage error has no subject";
  }

  vars = {{"JOB_COMPLETION_INDEX", "2"}, {"SLURM_ARRAY_TASK_ID", "5"}, {"SLURM_ARRAY_TASK_MIN", "4"}};
  const ShardChoice k8s = parse_shard("3", env);
  EXPECT_EQ(k8s.index, 2) << "JOB_COMPLETION_INDEX comes first";
  EXPECT_EQ(k8s.count, 3);
  EXPECT_EQ(k8s.source, "JOB_COMPLETION_INDEX");
  vars.erase("JOB_COMPLETION_INDEX");
  const ShardChoice slurm = parse_shard("3", env);
  EXPECT_EQ(slurm.index, 1) << "SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN";
  EXPECT_EQ(slurm.count, 3);
  EXPECT_NE(slurm.source.find("SLURM_ARRAY_TASK_MIN"), std::string::npos);
  EXPECT_EQ(parse_shard("1/3", env).index, 1) << "an explicit I wins over the environment";

  struct Bad {
    std::map<std::string, std::string> vars;
    std::string says;
  };
  for (const Bad& b : std::vector<Bad>{
           {{}, "JOB_COMPLETION_INDEX"},
           {{{"SLURM_ARRAY_TASK_MIN", "0"}}, "SLURM_ARRAY_TASK_ID"},
           {{{"JOB_COMPLETION_INDEX", "3"}}, "JOB_COMPLETION_INDEX='3'"},
           {{{"JOB_COMPLETION_INDEX", "-1"}}, "JOB_COMPLETION_INDEX='-1'"},
           {{{"JOB_COMPLETION_INDEX", ""}}, "JOB_COMPLETION_INDEX=''"},
           {{{"JOB_COMPLETION_INDEX", "1x"}}, "JOB_COMPLETION_INDEX='1x'"},
           {{{"SLURM_ARRAY_TASK_ID", "2"}}, "SLURM_ARRAY_TASK_MIN is not"},
           {{{"SLURM_ARRAY_TASK_ID", "7"}, {"SLURM_ARRAY_TASK_MIN", "4"}}, "SLURM_ARRAY_TASK_ID='7'"},
           {{{"SLURM_ARRAY_TASK_ID", "3"}, {"SLURM_ARRAY_TASK_MIN", "4"}}, "SLURM_ARRAY_TASK_MIN='4'"},
           {{{"SLURM_ARRAY_TASK_ID", "x"}, {"SLURM_ARRAY_TASK_MIN", "0"}}, "SLURM_ARRAY_TASK_ID='x'"},
       }) {
    vars = b.vars;
    const auto e = test::error_of([&] { parse_shard("3", env); });
    ASSERT_TRUE(e.has_value()) << b.says;
    EXPECT_EQ(e->code(), Errc::InvalidArgument);
    // No index variable at all: the command cannot run here, a usage error (exit 2, empty
    // subject); a variable with a bad value: the environment's fault (exit 1).
    const bool none_set = b.vars.empty() || (b.vars.size() == 1 && b.vars.count("SLURM_ARRAY_TASK_MIN"));
    EXPECT_EQ(e->subject(), none_set ? "" : "--shard") << b.says;
    EXPECT_NE(std::string(e->what()).find(b.says), std::string::npos) << e->what();
  }
}

TEST(CliOptions, Rates) {
  EXPECT_EQ(parse_rate("5M", "--bitrate"), 5'000'000);
  EXPECT_EQ(parse_rate("800k", "--bitrate"), 800'000);
  EXPECT_EQ(parse_rate("2.5M", "--bitrate"), 2'500'000);
  EXPECT_EQ(parse_rate("1500000", "--bitrate"), 1'500'000);
  EXPECT_EQ(parse_rate("", "--bitrate"), 0);
  for (const char* bad : {"5X", "-5M", "0", "nan", "inf", "M", "1e99", "5 M"}) {
    const auto e = test::error_of([&] { parse_rate(bad, "--bitrate"); });
    ASSERT_TRUE(e.has_value()) << "'" << bad << "' was accepted";
    EXPECT_NE(std::string(e->what()).find("--bitrate"), std::string::npos) << e->what();
  }
}

TEST(CliOptions, TranscodeWordsBecomeTypedOptions) {
  TranscodeArgs a;
  a.codec = "hevc";
  a.ops = "resize=640x360,gray";
  a.bitrate = "4M";
  a.maxrate = "6M";
  a.device = "cuda:1";
  a.mode = "resident";
  a.sessions = 3;
  a.no_audio = true;
  a.trace = "t.json";
  const TranscodeOptions o = make_transcode_options(a);
  EXPECT_EQ(o.encode.codec, Codec::HEVC);
  EXPECT_EQ(o.ops.size(), 2u);
  EXPECT_EQ(o.encode.rate_control, RateControl::Vbr);
  EXPECT_EQ(o.encode.bitrate, 4'000'000);
  EXPECT_EQ(o.encode.max_bitrate, 6'000'000);
  EXPECT_EQ(o.decode.backend, Backend::Nvdec);
  EXPECT_EQ(o.decode.device, 1);
  EXPECT_EQ(o.encode.device, 1);
  EXPECT_EQ(o.mode, PipelineMode::Resident);
  EXPECT_EQ(o.decode_sessions, 3);
  EXPECT_FALSE(o.copy_audio);
  EXPECT_TRUE(o.trace);

  TranscodeArgs cpu;
  cpu.device = "cpu";
  EXPECT_EQ(make_transcode_options(cpu).encode.backend, EncoderBackend::Cpu) << "--device cpu keeps the encoder on the CPU";

  struct Bad {
    std::function<void(TranscodeArgs&)> set;
    std::string says;
  };
  for (const Bad& b : std::vector<Bad>{
           {[](TranscodeArgs& x) { x.qp = 20; x.crf = 20; }, "alternatives"},
           {[](TranscodeArgs& x) { x.cbr = true; }, "--cbr needs --bitrate"},
           {[](TranscodeArgs& x) { x.maxrate = "5M"; }, "--maxrate needs --bitrate"},
           {[](TranscodeArgs& x) { x.sessions = 2; }, "--mode resident"},
           {[](TranscodeArgs& x) { x.ops = "resize=0x0"; }, "resize"},
       }) {
    TranscodeArgs x;
    b.set(x);
    const auto e = test::error_of([&] { make_transcode_options(x); });
    ASSERT_TRUE(e.has_value()) << b.says;
    EXPECT_NE(std::string(e->what()).find(b.says), std::string::npos) << e->what();
  }
}

}  // namespace
}  // namespace cuframe::cli
