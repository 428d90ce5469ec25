// Test support: run a program, feed its stdin, capture stdout/stderr, with a time limit
// (a hang is a failure, not a stuck test run).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cuframe::test {

struct ProcessResult {
  int exit_code = -1;      ///< exit status, or -1 if killed by a signal
  int signal = 0;          ///< terminating signal, 0 if it exited
  bool timed_out = false;  ///< killed because it ran past the limit
  std::string out;
  std::string err;
  /// Last non-empty line of stderr.
  std::string last_err_line() const;
};

struct ProcessOptions {
  std::optional<std::string> stdin_file;  ///< opened as stdin (seekable)
  std::optional<std::string> stdin_data;  ///< written through a pipe (not seekable)
  bool close_stdin_early = false;         ///< with stdin_data: write only half, then close
  double timeout_s = 120;
  std::vector<std::string> env;           ///< NAME=VALUE entries, replacing inherited ones
  std::vector<std::string> unset_env;     ///< NAMEs removed from the inherited environment
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

}  // namespace cuframe::test
