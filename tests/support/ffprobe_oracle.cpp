#include "support/ffprobe_oracle.hpp"

#include <stdexcept>

#include "support/process.hpp"
#include "support/test_env.hpp"

namespace cuframe::test {

nlohmann::json ffprobe(const std::string& file, bool count_frames, bool count_packets) {
  const std::string tool = tool_path("CUFRAME_FFPROBE", "ffprobe");
  if (tool.empty()) return nullptr;
  std::vector<std::string> argv = {tool, "-v", "error", "-of", "json", "-show_format", "-show_streams"};
  if (count_frames) argv.push_back("-count_frames");
  if (count_packets) argv.push_back("-count_packets");
  argv.push_back(file);
  const ProcessResult r = run_process(argv);
  if (r.exit_code != 0) throw std::runtime_error("ffprobe failed on " + file + ": " + r.err);
  return nlohmann::json::parse(r.out);
}

const nlohmann::json& first_video(const nlohmann::json& probe) {
  for (const auto& s : probe.at("streams"))
    if (s.value("codec_type", "") == "video") return s;
  throw std::runtime_error("ffprobe found no video stream");
}

}  // namespace cuframe::test
