#include "cuframe/output_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "cuframe/error.hpp"

namespace cuframe {

namespace {
[[noreturn]] void fail(const std::string& path, const char* what, int err) {
  std::string reason = what;
  reason += ": ";
  reason += err == EPIPE ? "the reader closed the pipe" : std::strerror(err);
  throw Error(err == ENOENT ? Errc::NotFound : Errc::Io, path, reason);
}
}  // namespace

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  if (path_ == "-") {
    fd_ = STDOUT_FILENO;
    return;
  }
  struct stat st {};
  const bool exists = ::stat(path_.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) throw Error(Errc::InvalidArgument, path_, "is a directory");
  if (exists && !S_ISREG(st.st_mode)) {
    // A device, a pipe, a socket: write in place, never remove.
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) fail(path_, "cannot open for writing", errno);
    owns_fd_ = true;
    return;
  }
  const std::filesystem::path target(path_);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  std::string tmpl = dir + "/." + target.filename().string() + ".cuframe-XXXXXX";
  fd_ = ::mkstemp(tmpl.data());
  if (fd_ < 0) fail(path_, "cannot create the output", errno);
  owns_fd_ = true;
  temp_ = tmpl;
  // mkstemp makes 0600; give the file the permissions a plain create would.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd_, exists ? (st.st_mode & 07777) : (0666 & ~mask));
}

OutputFile::~OutputFile() {
  if (owns_fd_ && fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_.empty()) ::unlink(temp_.c_str());
}

void OutputFile::write(const void* data, std::size_t bytes) {
  const auto* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd_, p, bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(path_, "write failed", errno);
    }
    p += n;
    bytes -= static_cast<std::size_t>(n);
    written_ += static_cast<std::size_t>(n);
  }
}

void OutputFile::commit() {
  if (committed_) return;
  if (!temp_.empty()) {
    if (::close(fd_) != 0) {
      fd_ = -1;
      fail(path_, "cannot close the output", errno);
    }
    fd_ = -1;
    if (::rename(temp_.c_str(), path_.c_str()) != 0) fail(path_, "cannot move the output into place", errno);
  }
  committed_ = true;
}

}  // namespace cuframe
