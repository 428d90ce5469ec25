// Test support: where the test data, the `cuframe` program and the peer tools are.
// Each can be overridden by an environment variable so the same binary runs from the
// build tree and from the portable bundle:
//   CUFRAME_TEST_DATA  folder with samples/, h264/, bad/
//   CUFRAME_CLI        the cuframe program
//   CUFRAME_FFPROBE    ffprobe (default: "ffprobe" on PATH, or beside the test binary)
//   CUFRAME_FFMPEG     ffmpeg
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace cuframe::test {

std::filesystem::path data_dir();
std::filesystem::path sample(const std::string& name);  ///< data_dir()/samples/name
std::string cli_path();
/// Path of a peer tool, or empty if it cannot be found.
std::string tool_path(const char* env_var, const char* name);
/// A fresh empty folder for this test, removed at process exit.
std::filesystem::path temp_dir();
/// All files of data_dir()/samples (video files only).
std::vector<std::string> sample_names();
std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& bytes);

}  // namespace cuframe::test
