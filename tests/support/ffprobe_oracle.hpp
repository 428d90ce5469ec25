// Test support: ffprobe as the oracle for container facts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace cuframe::test {

/// `ffprobe -of json -show_format -show_streams [-count_frames] [-count_packets] FILE`,
/// parsed. Returns null JSON if ffprobe is missing (the caller skips).
nlohmann::json ffprobe(const std::string& file, bool count_frames, bool count_packets = false);

/// The first video stream of an ffprobe result.
const nlohmann::json& first_video(const nlohmann::json& probe);

}  // namespace cuframe::test
