#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace cuframe::bench {

inline std::filesystem::path data_dir() {
  if (const char* e = std::getenv("CUFRAME_TEST_DATA")) return e;
  return CUFRAME_BENCH_DATA_DIR;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace cuframe::bench
