// `cuframe transcode --manifest JOBS --shard I/N` as a Slurm job array or a Kubernetes
// Indexed Job runs it (Note [Manifest shards]): the shards' jobs are disjoint and cover the
// manifest, each shard records what it finished in JOBS.shard-I-of-N.jsonl, a rerun skips
// what is done and redoes what failed, and the index can come from the environment.
// Five short CPU jobs (a 200x112, 12-frame H.264 sample) keep each run under a second or two.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "support/test_env.hpp"

namespace cuframe {
namespace {

namespace fs = std::filesystem;
using test::ProcessOptions;
using test::ProcessResult;

constexpr int kJobs = 5;
const std::vector<std::string> kIndexVariables = {"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN"};

// `cuframe transcode --manifest MANIFEST --device cpu ARGS...`, with none of the index
// variables inherited (a test run inside a Slurm array must not change what it sees).
ProcessResult shard_run(const fs::path& manifest, std::vector<std::string> args, std::vector<std::string> env = {}) {
  std::vector<std::string> argv = {test::cli_path(), "--verbose", "transcode", "--manifest", manifest.string(), "--device", "cpu"};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions o;
  o.timeout_s = 120;
  o.unset_env = kIndexVariables;
  o.env = std::move(env);
  return test::run_process(argv, o);
}

fs::path output_of(const fs::path& dir, int job) { return dir / ("out" + std::to_string(job) + ".mkv"); }

// A manifest of kJobs jobs in a fresh folder, with a comment and a blank line between
// them (neither counts as a job). `missing`: the job whose input does not exist (-1: none).
fs::path make_manifest(int missing = -1) {
  const fs::path dir = test::temp_dir();
  std::string text = "# input\toutput\n";
  for (int i = 0; i < kJobs; ++i) {
    const fs::path in = i == missing ? dir / "missing.mp4" : test::sample("test_non_zero_start.mp4");
    text += in.string() + "\t" + output_of(dir, i).string() + "\n";
    if (i == 1) text += "\n# the rest\n";
  }
  test::write_file(dir / "jobs.tsv", text);
  return dir / "jobs.tsv";
}

fs::path record_of(const fs::path& manifest, const std::string& shard) {
  return manifest.string() + ".shard-" + shard + ".jsonl";
}

// The record's lines, each parsed (a line that does not parse fails the test).
std::vector<nlohmann::json> record_lines(const fs::path& record) {
  std::vector<nlohmann::json> lines;
  std::ifstream f(record);
  std::string line;
  while (std::getline(f, line)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << record << ": '" << line << "'";
    if (!j.is_discarded()) lines.push_back(j);
  }
  return lines;
}

std::set<int> indices(const std::vector<nlohmann::json>& lines) {
  std::set<int> s;
  for (const auto& j : lines) s.insert(j.at("index").get<int>());
  return s;
}

// What a finished job leaves: the output's bytes and modification time.
struct OutputState {
  std::string bytes;
  fs::file_time_type mtime;
  bool operator==(const OutputState&) const = default;
};
std::map<int, OutputState> outputs(const fs::path& dir) {
  std::map<int, OutputState> m;
  for (int i = 0; i < kJobs; ++i)
    if (fs::exists(output_of(dir, i))) m[i] = {test::read_file(output_of(dir, i)), fs::last_write_time(output_of(dir, i))};
  return m;
}

TEST(ManifestShard, SharesAreDisjointAndCoverTheManifest) {
  const fs::path manifest = make_manifest();
  const fs::path dir = manifest.parent_path();
  std::map<int, int> runs;  // job -> times recorded, over all shards
  for (int shard = 0; shard < 3; ++shard) {
    const std::string name = std::to_string(shard) + "/3";
    // Shard 0 runs its two jobs at once: the record's lines stay whole under --jobs.
    const ProcessResult r = shard_run(manifest, {"--shard", name, "--jobs", shard == 0 ? "2" : "1"});
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
    const std::vector<nlohmann::json> lines = record_lines(record_of(manifest, std::to_string(shard) + "-of-3"));
    std::set<int> expected;
    for (int i = shard; i < kJobs; i += 3) expected.insert(i);
    EXPECT_EQ(indices(lines), expected) << name;
    EXPECT_EQ(lines.size(), expected.size()) << name << ": one line per job";
    for (const auto& j : lines) {
      const int i = j.at("index").get<int>();
      ++runs[i];
      EXPECT_EQ(j.at("ok"), true) << j;
      EXPECT_EQ(j.at("input"), test::sample("test_non_zero_start.mp4").string()) << j;
      EXPECT_EQ(j.at("output"), output_of(dir, i).string()) << j;
      EXPECT_EQ(j.at("frames").get<int>(), 12) << j;
      EXPECT_GE(j.at("seconds").get<double>(), 0.0) << j;
      EXPECT_EQ(j.at("decoder").get<std::string>().rfind("libavcodec", 0), 0u) << j;
      EXPECT_FALSE(j.at("encoder").get<std::string>().empty()) << j;
      EXPECT_EQ(j.at("error"), "") << j;
    }
    // Only this shard's and the earlier shards' outputs exist so far.
    for (int i = 0; i < kJobs; ++i)
      EXPECT_EQ(fs::exists(output_of(dir, i)), i % 3 <= shard) << name << ": job " << i;
    EXPECT_NE(r.err.find("manifest: shard " + name + ": " + std::to_string(expected.size()) +
                         " jobs run, 0 skipped, 0 failed"),
              std::string::npos)
        << r.err;
  }
  EXPECT_EQ(runs, (std::map<int, int>{{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}})) << "every job exactly once";
}

TEST(ManifestShard, RerunSkipsWhatIsDone) {
  const fs::path manifest = make_manifest();
  const fs::path dir = manifest.parent_path();
  const fs::path record = record_of(manifest, "1-of-3");
  ASSERT_EQ(shard_run(manifest, {"--shard", "1/3"}).exit_code, 0);
  const std::map<int, OutputState> first = outputs(dir);
  ASSERT_EQ(first.size(), 2u);  // jobs 1 and 4
  const std::string first_record = test::read_file(record);

  const ProcessResult again = shard_run(manifest, {"--shard", "1/3"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("manifest: shard 1/3: 0 jobs run, 2 skipped, 0 failed"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("job 4 ("), std::string::npos) << "--verbose names each skipped job: " << again.err;
  EXPECT_EQ(outputs(dir), first) << "a skipped job's output is not rewritten";
  EXPECT_EQ(test::read_file(record), first_record) << "nothing run, nothing recorded";

  // A writer killed half way through a line, and a removed output: the half line is
  // warned about and ignored, the job whose output is gone runs again, the other is skipped.
  test::write_file(record, first_record + "{\"index\": 1, \"inp");
  fs::remove(output_of(dir, 4));
  const ProcessResult resumed = shard_run(manifest, {"--shard", "1/3"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("cuframe: warning: " + record.string() + ": line 3: "), std::string::npos) << resumed.err;
  EXPECT_NE(resumed.err.find("manifest: shard 1/3: 1 jobs run, 1 skipped, 0 failed"), std::string::npos) << resumed.err;
  EXPECT_EQ(outputs(dir).at(1), first.at(1));
  EXPECT_TRUE(fs::exists(output_of(dir, 4)));
  // The half line was ended, so the new record line is whole.
  const std::string text = test::read_file(record);
  ASSERT_EQ(text.rfind(first_record + "{\"index\": 1, \"inp\n", 0), 0u) << text;
  const nlohmann::json last = nlohmann::json::parse(text.substr(text.rfind('\n', text.size() - 2) + 1));
  EXPECT_EQ(last.at("index"), 4);
  EXPECT_EQ(last.at("ok"), true);
}

TEST(ManifestShard, WithoutShardNoRecordIsWritten) {
  const fs::path manifest = make_manifest();
  const ProcessResult r = shard_run(manifest, {"--jobs", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(outputs(manifest.parent_path()).size(), static_cast<size_t>(kJobs));
  for (const auto& e : fs::directory_iterator(manifest.parent_path()))
    EXPECT_NE(e.path().extension(), ".jsonl") << e.path();
  EXPECT_EQ(r.err.find("manifest: shard"), std::string::npos) << r.err;
}

// `--shard N` takes I from a Kubernetes Indexed Job or a Slurm job array. The same shard
// run again with an explicit I/N finds its record and skips every job: the same jobs.
TEST(ManifestShard, IndexFromTheEnvironment) {
  const fs::path manifest = make_manifest();
  const ProcessResult k8s = shard_run(manifest, {"--shard", "3"}, {"JOB_COMPLETION_INDEX=2"});
  ASSERT_EQ(k8s.exit_code, 0) << k8s.err;
  EXPECT_EQ(indices(record_lines(record_of(manifest, "2-of-3"))), (std::set<int>{2}));
  const ProcessResult k8s_same = shard_run(manifest, {"--shard", "2/3"});
  EXPECT_NE(k8s_same.err.find("manifest: shard 2/3: 0 jobs run, 1 skipped, 0 failed"), std::string::npos) << k8s_same.err;

  const ProcessResult slurm = shard_run(manifest, {"--shard", "3"}, {"SLURM_ARRAY_TASK_ID=5", "SLURM_ARRAY_TASK_MIN=4"});
  ASSERT_EQ(slurm.exit_code, 0) << slurm.err;
  EXPECT_EQ(indices(record_lines(record_of(manifest, "1-of-3"))), (std::set<int>{1, 4}));
  const ProcessResult slurm_same = shard_run(manifest, {"--shard", "1/3"});
  EXPECT_NE(slurm_same.err.find("manifest: shard 1/3: 0 jobs run, 2 skipped, 0 failed"), std::string::npos)
      << slurm_same.err;
  EXPECT_FALSE(fs::exists(record_of(manifest, "0-of-3")));
  EXPECT_FALSE(fs::exists(output_of(manifest.parent_path(), 0)));
}

TEST(ManifestShard, MissingOrBadIndexIsAnError) {
  const fs::path manifest = make_manifest();
  struct Case {
    std::vector<std::string> env;
    std::vector<std::string> says;
    int exit_code;  // neither variable set: a usage error (2); a bad value: an error (1)
  };
  for (const Case& c : std::vector<Case>{
           {{}, {"JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID"}, 2},
           {{"JOB_COMPLETION_INDEX=3"}, {"JOB_COMPLETION_INDEX='3'", "0..2"}, 1},
           {{"SLURM_ARRAY_TASK_ID=2"}, {"SLURM_ARRAY_TASK_MIN"}, 1},
           {{"SLURM_ARRAY_TASK_ID=9", "SLURM_ARRAY_TASK_MIN=4"}, {"SLURM_ARRAY_TASK_ID='9'", "0..2"}, 1},
       }) {
    const ProcessResult r = shard_run(manifest, {"--shard", "3"}, c.env);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    EXPECT_EQ(r.last_err_line().rfind("cuframe: error: --shard: ", 0), 0u) << r.err;
    for (const std::string& s : c.says) EXPECT_NE(r.last_err_line().find(s), std::string::npos) << s << ": " << r.err;
  }
  EXPECT_TRUE(outputs(manifest.parent_path()).empty()) << "no job ran";
}

TEST(ManifestShard, BadShardWordsAreUsageErrors) {
  const fs::path manifest = make_manifest();
  for (const char* bad : {"3/3", "0/0", "x", "-1/3", "1/", "/3", "1/3/3", "0x1/3"}) {
    const ProcessResult r = shard_run(manifest, {"--shard", bad}, {"JOB_COMPLETION_INDEX=0"});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
    EXPECT_NE(r.last_err_line().find("--shard must be I/N"), std::string::npos) << bad << ": " << r.err;
  }
  const fs::path out = manifest.parent_path() / "single.mkv";
  ProcessOptions o;
  o.unset_env = kIndexVariables;
  const ProcessResult single = test::run_process(
      {test::cli_path(), "transcode", test::sample("test_non_zero_start.mp4").string(), out.string(), "--shard", "0/3"}, o);
  EXPECT_EQ(single.exit_code, 2) << single.err;
  EXPECT_NE(single.last_err_line().find("--manifest"), std::string::npos) << single.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(outputs(manifest.parent_path()).empty()) << "no job ran";
  for (const auto& e : fs::directory_iterator(manifest.parent_path()))
    EXPECT_NE(e.path().extension(), ".jsonl") << e.path();
}

TEST(ManifestShard, FailedJobIsRecordedAndRunAgain) {
  const fs::path manifest = make_manifest(/*missing=*/2);
  const fs::path record = record_of(manifest, "0-of-2");
  const ProcessResult r = shard_run(manifest, {"--shard", "0/2"});  // jobs 0, 2 and 4
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("manifest: shard 0/2: 3 jobs run, 0 skipped, 1 failed"), std::string::npos) << r.err;
  std::vector<nlohmann::json> lines = record_lines(record);
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& j : lines) {
    const bool bad = j.at("index") == 2;
    EXPECT_EQ(j.at("ok"), !bad) << j;
    if (bad) {
      EXPECT_NE(j.at("error").get<std::string>().find("missing.mp4"), std::string::npos) << j;
      EXPECT_EQ(j.at("frames"), 0) << j;
    } else {
      EXPECT_EQ(j.at("error"), "") << j;
    }
  }
  EXPECT_FALSE(fs::exists(output_of(manifest.parent_path(), 2)));

  // A rerun tries the failed job again, and only it.
  const ProcessResult again = shard_run(manifest, {"--shard", "0/2"});
  EXPECT_EQ(again.exit_code, 1) << again.err;
  EXPECT_NE(again.err.find("manifest: shard 0/2: 1 jobs run, 2 skipped, 1 failed"), std::string::npos) << again.err;
  lines = record_lines(record);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines.back().at("index"), 2);
  EXPECT_EQ(lines.back().at("ok"), false);
}

TEST(ManifestShard, ShardPastTheEndRunsNothing) {
  const fs::path manifest = make_manifest();
  const ProcessResult r = shard_run(manifest, {"--shard", "6/8"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("manifest: shard 6/8: no job (the manifest lists 5)"), std::string::npos) << r.err;
  EXPECT_TRUE(outputs(manifest.parent_path()).empty());
  EXPECT_FALSE(fs::exists(record_of(manifest, "6-of-8")));
}

}  // namespace
}  // namespace cuframe
