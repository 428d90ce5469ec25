// cuframe transcode IN OUT [--codec ...] [--ops LIST] [--qp N | --crf N | --bitrate R] ...
//           or: cuframe transcode --manifest JOBS [--jobs N] [--shard I/N | --shard N] ...
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "cuframe/cuframe.hpp"
#include "interrupt.hpp"
#include "options.hpp"
#include "progress.hpp"
#include "shard_record.hpp"

namespace cuframe::cli {

namespace {

nlohmann::json stats_json(const std::string& in, const std::string& out, const TranscodeStats& s) {
  nlohmann::json j;
  j["input"] = in;
  j["output"] = out;
  j["frames"] = s.frames;
  j["seconds"] = s.seconds;
  j["fps"] = s.seconds > 0 ? static_cast<double>(s.frames) / s.seconds : 0.0;
  j["interrupted"] = s.interrupted;
  j["decoder"] = s.decoder;
  j["decode_sessions"] = s.decode_sessions;
  j["encoder"] = s.encoder;
  j["encoder_fallback"] = s.encoder_fallback;
  j["width"] = s.width;
  j["height"] = s.height;
  j["peak_host_bytes"] = s.peak_host_bytes;
  j["peak_device_bytes"] = s.peak_device_bytes;
  if (s.ring_chunks > 0) j["ring"] = {{"chunks", s.ring_chunks}, {"chunk_frames", s.chunk_frames}};
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  j["max_rss_kb"] = ru.ru_maxrss;  // the whole process, so far
  for (const StageStats& st : s.stages) j["stages"].push_back({{"name", st.name}, {"busy_s", st.busy_s}, {"chunks", st.chunks}});
  if (!s.latency_ms.empty()) {
    std::vector<double> l = s.latency_ms;
    std::sort(l.begin(), l.end());
    j["latency_ms"] = {{"frames", l.size()},
                       {"median", l[l.size() / 2]},
                       {"p95", l[std::min(l.size() - 1, l.size() * 95 / 100)]},
                       {"max", l.back()}};
  }
  return j;
}

// Note [Pipeline trace] as a Chrome trace (the JSON object format): one track per stage,
// one complete event ("ph": "X") per chunk, times in microseconds.
void write_trace(const std::string& path, const std::string& in, const TranscodeStats& s) {
  nlohmann::json events = nlohmann::json::array();
  const std::vector<std::string> tracks = {"decode", "ops", "ops (gpu)", "encode"};
  for (size_t t = 0; t < tracks.size(); ++t)
    events.push_back({{"name", "thread_name"}, {"ph", "M"}, {"pid", 1}, {"tid", t + 1}, {"args", {{"name", tracks[t]}}}});
  events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", 1}, {"args", {{"name", "cuframe transcode " + in}}}});
  for (const StageSpan& sp : s.timeline) {
    const auto track = std::find(tracks.begin(), tracks.end(), sp.stage);
    events.push_back({{"name", sp.stage + " chunk " + std::to_string(sp.chunk)},
                      {"cat", sp.stage},
                      {"ph", "X"},
                      {"pid", 1},
                      {"tid", (track - tracks.begin()) + 1},
                      {"ts", sp.start_s * 1e6},
                      {"dur", std::max(0.0, sp.end_s - sp.start_s) * 1e6},
                      {"args", {{"chunk", sp.chunk}, {"frames", sp.frames}}}});
  }
  std::ofstream f(path);
  if (!f) throw Error(Errc::Io, path, "cannot write the trace");
  f << nlohmann::json{{"traceEvents", events}, {"displayTimeUnit", "ms"}}.dump() << "\n";
  if (!f) throw Error(Errc::Io, path, "cannot write the trace");
}

void summary(const std::string& in, const std::string& out, const TranscodeStats& s) {
  const std::string sessions = s.decode_sessions > 1 ? " x " + std::to_string(s.decode_sessions) + " sessions" : "";
  // Note [Encoder choice]: a fallback from NVENC is never silent.
  const std::string fallback = s.encoder_fallback.empty() ? "" : " (auto: NVENC not used: " + s.encoder_fallback + ")";
  std::fprintf(stderr, "cuframe: %s -> %s: %lld frames %dx%d in %.2f s (%.1f fps); decoder %s%s; encoder %s%s\n",
               in.c_str(), out.c_str(), static_cast<long long>(s.frames), s.width, s.height, s.seconds,
               s.seconds > 0 ? static_cast<double>(s.frames) / s.seconds : 0.0, s.decoder.c_str(), sessions.c_str(),
               s.encoder.c_str(), fallback.c_str());
  if (!s.latency_ms.empty()) {
    std::vector<double> l = s.latency_ms;
    std::sort(l.begin(), l.end());
    std::fprintf(stderr, "cuframe: live latency per frame: median %.1f ms, p95 %.1f ms, max %.1f ms\n", l[l.size() / 2],
                 l[std::min(l.size() - 1, l.size() * 95 / 100)], l.back());
  }
}

InputSource input_of(const std::string& path) {
  return path == "-" ? InputSource::standard_input() : InputSource::file(path);
}

ManifestJobs read_manifest(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw Error(Errc::NotFound, path, "cannot open the manifest");
  ManifestJobs jobs;
  std::string line;
  int n = 0;
  while (std::getline(f, line)) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    std::string in, out;
    if (tab != std::string::npos) {
      in = line.substr(0, tab);
      out = line.substr(tab + 1);
    } else {
      std::istringstream words(line);
      words >> in >> out;
    }
    if (in.empty() || out.empty())
      throw Error(Errc::InvalidArgument, path, "line " + std::to_string(n) + ": expected 'INPUT<TAB>OUTPUT'");
    jobs.emplace_back(in, out);
  }
  if (jobs.empty()) throw Error(Errc::InvalidArgument, path, "the manifest lists no jobs");
  return jobs;
}

// The manifest's jobs this run takes, in manifest order: all of them, or a shard's share
// less what its record gives as done (Note [Manifest shards]).
struct ManifestPlan {
  std::vector<std::size_t> todo;
  std::size_t skipped = 0;
  std::unique_ptr<ShardRecord> record;  // with --shard, when there is a job to run
};

ManifestPlan plan_manifest(const std::string& manifest, const ManifestJobs& jobs, const std::optional<ShardChoice>& shard) {
  ManifestPlan p;
  if (!shard) {
    for (std::size_t i = 0; i < jobs.size(); ++i) p.todo.push_back(i);
    return p;
  }
  const std::string path = shard_record_path(manifest, *shard);
  if (!shard->source.empty())
    log(Verbosity::Info, "manifest: shard %d/%d (the index from %s)", shard->index, shard->count, shard->source.c_str());
  if (static_cast<std::size_t>(shard->index) >= jobs.size()) {
    log(Verbosity::Info, "manifest: shard %d/%d: no job (the manifest lists %zu): nothing to do", shard->index,
        shard->count, jobs.size());
    return p;
  }
  const std::set<std::size_t> done = finished_jobs(path, jobs);
  for (std::size_t i = static_cast<std::size_t>(shard->index); i < jobs.size(); i += static_cast<std::size_t>(shard->count)) {
    if (!done.count(i)) {
      p.todo.push_back(i);
      continue;
    }
    ++p.skipped;
    log(Verbosity::Info, "manifest: shard %d/%d: job %zu (%s -> %s) is done (%s): skipped", shard->index, shard->count, i,
        jobs[i].first.c_str(), jobs[i].second.c_str(), path.c_str());
  }
  if (!p.todo.empty()) p.record = std::make_unique<ShardRecord>(path);
  return p;
}

// One line of a shard's record (Note [Manifest shards]).
nlohmann::json record_line(std::size_t index, const std::string& in, const std::string& out) {
  return {{"index", index}, {"input", in}, {"output", out}, {"ok", false}, {"frames", 0},
          {"seconds", 0.0}, {"decoder", ""}, {"encoder", ""}, {"error", ""}};
}

int run_manifest(const TranscodeArgs& a, const TranscodeOptions& o) {
  std::optional<ShardChoice> shard;
  if (!a.shard.empty()) shard = parse_shard(a.shard, [](const char* name) { return std::getenv(name); });
  const ManifestJobs jobs = read_manifest(a.manifest);
  const DeviceChoice device = parse_device(a.device);
  ManifestPlan plan = plan_manifest(a.manifest, jobs, shard);
  if (shard && plan.todo.empty() && plan.skipped == 0) return 0;  // a shard past the manifest's end
  const int gpus = device.backend == Backend::Cpu ? 0 : cuda_device_count();
  if (gpus > 1 && !device.explicit_ordinal)
    log(Verbosity::Info, "manifest: %zu jobs spread over %d GPUs", plan.todo.size(), gpus);
  std::mutex lock;
  size_t next = 0;
  int failed = 0;
  nlohmann::json all = nlohmann::json::array();
  auto worker = [&] {
    for (;;) {
      size_t k;
      {
        std::lock_guard<std::mutex> hold(lock);
        if (next >= plan.todo.size() || interrupted()) return;
        k = next++;
      }
      const size_t i = plan.todo[k];
      const auto& [in, out] = jobs[i];
      nlohmann::json line = record_line(i, in, out);
      const auto start = std::chrono::steady_clock::now();
      try {
        TranscodeOptions job = o;
        job.decode.device = job.encode.device = device_for_job(device, k, gpus);
        TranscodeStats s = transcode(input_of(in), out, job);
        // An interrupted job's file is complete but shorter: not done (Note [Manifest shards]).
        line["ok"] = !s.interrupted;
        line["frames"] = s.frames;
        line["seconds"] = s.seconds;
        line["decoder"] = s.decoder;
        line["encoder"] = s.encoder;
        if (s.interrupted) line["error"] = "interrupted: " + std::to_string(s.frames) + " frames written";
        std::lock_guard<std::mutex> hold(lock);
        summary(in, out, s);
        all.push_back(stats_json(in, out, s));
      } catch (const Error& e) {
        line["seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        line["error"] = e.what();
        std::lock_guard<std::mutex> hold(lock);
        ++failed;
        std::fprintf(stderr, "cuframe: error: %s\n", e.what());
      }
      if (!plan.record) continue;
      try {
        plan.record->append(line);
      } catch (const Error& e) {
        std::lock_guard<std::mutex> hold(lock);
        ++failed;  // done but not recorded: the next run does it again
        std::fprintf(stderr, "cuframe: error: %s\n", e.what());
      }
    }
  };
  std::vector<std::thread> workers;
  for (int w = 0; w < std::max(1, a.jobs); ++w) workers.emplace_back(worker);
  for (auto& t : workers) t.join();
  if (!a.stats_json.empty()) {
    std::ofstream f(a.stats_json);
    f << all.dump(2) << "\n";
  }
  if (shard)
    log(Verbosity::Info, "manifest: shard %d/%d: %zu jobs run, %zu skipped, %d failed", shard->index, shard->count, next,
        plan.skipped, failed);
  if (interrupted()) return 130;
  if (failed) {
    std::fprintf(stderr, "cuframe: error: %s: %d of %zu jobs failed\n", a.manifest.c_str(), failed, plan.todo.size());
    return 1;
  }
  return 0;
}

}  // namespace

Runner add_transcode(CLI::App& app) {
  auto a = std::make_shared<TranscodeArgs>();
  CLI::App* sub = app.add_subcommand("transcode", "Decode, apply ops and encode a video (or a manifest of jobs)");
  add_transcode_options(*sub, *a);
  return [a]() {
    install_interrupt_handler();
    TranscodeOptions o = make_transcode_options(*a);
    o.cancel = &interrupt_flag();
    o.notice = [](const std::string& s) { std::fprintf(stderr, "cuframe: %s\n", s.c_str()); };
    if (!a->shard.empty() && a->manifest.empty())
      throw Error(Errc::InvalidArgument, "", "--shard splits a manifest: give --manifest JOBS");
    if (!a->manifest.empty()) {
      if (!a->in.empty() || !a->out.empty())
        throw Error(Errc::InvalidArgument, "", "give either IN OUT or --manifest, not both");
      if (!a->trace.empty()) throw Error(Errc::InvalidArgument, "", "--trace records one transcode: give IN OUT, not --manifest");
      return run_manifest(*a, o);
    }
    if (a->in.empty() || a->out.empty()) throw Error(Errc::InvalidArgument, "", "transcode needs IN and OUT (or --manifest)");
    if (a->in == a->out && a->in != "-")
      throw Error(Errc::InvalidArgument, "", "IN and OUT are the same file: " + a->in);
    Progress progress("transcode", 0);
    o.progress = [&progress](const TranscodeProgress& p) {
      progress.set_total(p.total);
      progress.update(p.frames);
    };
    TranscodeStats s = transcode(input_of(a->in), a->out, o);
    progress.finish();
    summary(a->in, a->out, s);
    if (!a->stats_json.empty()) {
      std::ofstream f(a->stats_json);
      if (!f) throw Error(Errc::Io, a->stats_json, "cannot write the statistics");
      f << stats_json(a->in, a->out, s).dump(2) << "\n";
    }
    if (!a->trace.empty()) write_trace(a->trace, a->in, s);
    if (s.interrupted) {
      std::fprintf(stderr, "cuframe: interrupted: %lld frames written to %s (a complete, shorter file)\n",
                   static_cast<long long>(s.frames), a->out.c_str());
      return 130;
    }
    return 0;
  };
}

}  // namespace cuframe::cli
