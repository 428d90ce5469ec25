// `cuframe transcode --manifest JOBS --shard I/N`: the record of the jobs a shard finished.
//
// Note [Manifest shards]: a manifest is split statically, by position: shard I of N takes
// the jobs whose 0-based position among the manifest's jobs (comments and blank lines do
// not count) is I mod N. Every shard computes its share from the manifest alone, with no
// coordinator, so N processes started by Slurm (a job array) or Kubernetes (an Indexed
// Job) cover the manifest exactly once between them, and round robin gives each shard a
// mix of the manifest's lines rather than one contiguous (and perhaps all long) stretch.
// Each shard appends one JSON line per finished job, success or failure, to
// JOBS.shard-I-of-N.jsonl beside the manifest, flushed as the job ends, so a killed shard
// keeps what it finished. A rerun of the same shard skips the jobs recorded "ok": true
// whose output exists (the output is complete or absent: Note [Complete or absent]), and
// runs the others again: failed ones, interrupted ones (recorded as not ok, since their
// file is complete but shorter), ones whose output was removed. A line that does not
// parse (a writer killed half way through it) is ignored with a warning, and the next
// writer first ends it with a newline so that its own lines stay whole.
#pragma once

#include <cstddef>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "options.hpp"

namespace cuframe::cli {

/// A manifest's jobs, (input, output), in the order of its lines.
using ManifestJobs = std::vector<std::pair<std::string, std::string>>;

/// The record of `shard` of `manifest`: "<manifest>.shard-I-of-N.jsonl", beside it.
std::string shard_record_path(const std::string& manifest, const ShardChoice& shard);

/// The manifest positions the record at `path` gives as done: a line with "ok": true whose
/// "input" and "output" are those of the manifest's job at its "index", and whose output
/// file exists. No file: none. A line that is not a JSON object with those fields is
/// ignored with a warning on stderr ("cuframe: warning: PATH: line K: ...").
std::set<std::size_t> finished_jobs(const std::string& path, const ManifestJobs& jobs);

/// Appends one JSON line per finished job to a shard's record, each flushed at once.
/// append() may be called from several threads.
class ShardRecord {
 public:
  /// Opens `path` for appending (creating it); a last line without its newline (a killed
  /// writer's) is ended first. Errc::Io naming the path when it cannot be written.
  explicit ShardRecord(std::string path);
  ShardRecord(const ShardRecord&) = delete;
  ShardRecord& operator=(const ShardRecord&) = delete;

  const std::string& path() const noexcept { return path_; }

  /// Writes `line` as one line of compact JSON and flushes it. Errc::Io when that fails.
  void append(const nlohmann::json& line);

 private:
  std::string path_;
  std::mutex lock_;
  std::ofstream file_;
};

}  // namespace cuframe::cli
