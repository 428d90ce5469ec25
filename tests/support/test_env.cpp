#include "test_env.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace cuframe::test {

static fs::path self_dir() {
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : exe.parent_path();
}

fs::path data_dir() {
  if (const char* e = std::getenv("CUFRAME_TEST_DATA")) return e;
#ifdef CUFRAME_TEST_DATA_DIR
  if (fs::exists(CUFRAME_TEST_DATA_DIR)) return CUFRAME_TEST_DATA_DIR;
#endif
  return self_dir() / "data";
}

fs::path sample(const std::string& name) { return data_dir() / "samples" / name; }

std::string cli_path() {
  if (const char* e = std::getenv("CUFRAME_CLI")) return e;
#ifdef CUFRAME_CLI_PATH
  if (fs::exists(CUFRAME_CLI_PATH)) return CUFRAME_CLI_PATH;
#endif
  return (self_dir() / "cuframe").string();
}

std::string tool_path(const char* env_var, const char* name) {
  if (const char* e = std::getenv(env_var)) return e;
  if (fs::exists(self_dir() / name)) return (self_dir() / name).string();
  if (const char* path = std::getenv("PATH")) {
    std::stringstream ss(path);
    std::string dir;
    while (std::getline(ss, dir, ':'))
      if (!dir.empty() && access((fs::path(dir) / name).c_str(), X_OK) == 0) return (fs::path(dir) / name).string();
  }
  return {};
}

namespace {
struct TempRoot {
  fs::path root;
  TempRoot() {
    std::string tmpl = (fs::temp_directory_path() / "cuframe-test-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    root = tmpl;
  }
  ~TempRoot() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};
}  // namespace

fs::path temp_dir() {
  static TempRoot root;
  static int counter = 0;
  fs::path p = root.root / std::to_string(counter++);
  fs::create_directories(p);
  return p;
}

std::vector<std::string> sample_names() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(data_dir() / "samples")) {
    const std::string ext = e.path().extension().string();
    if (ext == ".mp4" || ext == ".mkv" || ext == ".webm" || ext == ".avi") names.push_back(e.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw std::runtime_error("cannot read " + p.string());
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!f) throw std::runtime_error("cannot write " + p.string());
}

}  // namespace cuframe::test
