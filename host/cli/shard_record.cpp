// A manifest shard's record (host/cli/shard_record.hpp, Note [Manifest shards]).
#include "shard_record.hpp"

#include <cstdio>
#include <filesystem>

#include "cuframe/error.hpp"

namespace cuframe::cli {

std::string shard_record_path(const std::string& manifest, const ShardChoice& shard) {
  return manifest + ".shard-" + std::to_string(shard.index) + "-of-" + std::to_string(shard.count) + ".jsonl";
}

std::set<std::size_t> finished_jobs(const std::string& path, const ManifestJobs& jobs) {
  std::set<std::size_t> done;
  std::ifstream f(path);
  if (!f) return done;
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    const bool record = j.is_object() && j.contains("index") && j["index"].is_number_unsigned() &&
                        j.contains("input") && j["input"].is_string() && j.contains("output") &&
                        j["output"].is_string() && j.contains("ok") && j["ok"].is_boolean();
    if (!record) {
      std::fprintf(stderr, "cuframe: warning: %s: line %d: not a job record (a writer stopped half way?): ignored\n",
                   path.c_str(), n);
      continue;
    }
    const auto i = j["index"].get<std::size_t>();
    if (!j["ok"].get<bool>() || i >= jobs.size()) continue;
    const auto& [in, out] = jobs[i];
    std::error_code ec;
    if (j["input"] == in && j["output"] == out && std::filesystem::exists(out, ec)) done.insert(i);
  }
  return done;
}

ShardRecord::ShardRecord(std::string path) : path_(std::move(path)) {
  bool ends_mid_line = false;
  {
    std::ifstream in(path_, std::ios::binary | std::ios::ate);
    if (in && in.tellg() > 0) {
      in.seekg(-1, std::ios::end);
      ends_mid_line = in.get() != '\n';
    }
  }
  file_.open(path_, std::ios::app);
  if (ends_mid_line) file_ << '\n';
  file_.flush();
  if (!file_) throw Error(Errc::Io, path_, "cannot write the shard's record");
}

void ShardRecord::append(const nlohmann::json& line) {
  std::lock_guard<std::mutex> hold(lock_);
  // File names and FFmpeg messages need not be UTF-8: replaced, never a throw.
  file_ << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  file_.flush();
  if (!file_) throw Error(Errc::Io, path_, "cannot write the shard's record");
}

}  // namespace cuframe::cli
