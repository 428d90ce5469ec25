#include "avio_source.hpp"

extern "C" {
#include <libavutil/error.h>
#include <libavutil/mem.h>
}

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cuframe/error.hpp"

namespace cuframe::detail {

namespace {
constexpr int kBufferSize = 1 << 16;
}

std::unique_ptr<AvioSource> AvioSource::from_memory(std::span<const std::byte> bytes) {
  std::unique_ptr<AvioSource> s(new AvioSource());
  s->bytes_ = bytes;
  s->size_ = static_cast<int64_t>(bytes.size());
  s->make_context(true);
  return s;
}

std::unique_ptr<AvioSource> AvioSource::from_fd(int fd) {
  std::unique_ptr<AvioSource> s(new AvioSource());
  s->fd_ = fd;
  struct stat st {};
  bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  bool seekable = regular && lseek(fd, 0, SEEK_CUR) >= 0;
  if (seekable) s->size_ = st.st_size;
  s->make_context(seekable);
  return s;
}

void AvioSource::make_context(bool seekable) {
  seekable_ = seekable;
  auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferSize));
  if (!buffer) throw Error(Errc::OutOfMemory, "av_malloc", "cannot allocate an I/O buffer");
  const bool memory = fd_ < 0;
  ctx_ = avio_alloc_context(buffer, kBufferSize, 0, this, memory ? &read_memory : &read_fd,
                            nullptr, seekable ? (memory ? &seek_memory : &seek_fd) : nullptr);
  if (!ctx_) {
    av_free(buffer);
    throw Error(Errc::OutOfMemory, "avio_alloc_context", "cannot allocate an I/O context");
  }
  ctx_->seekable = seekable ? AVIO_SEEKABLE_NORMAL : 0;
}

AvioSource::~AvioSource() {
  if (ctx_) {
    av_freep(&ctx_->buffer);
    avio_context_free(&ctx_);
  }
}

int AvioSource::read_memory(void* opaque, uint8_t* buf, int size) {
  auto* s = static_cast<AvioSource*>(opaque);
  const int64_t left = static_cast<int64_t>(s->bytes_.size()) - s->pos_;
  if (left <= 0) return AVERROR_EOF;
  const int n = static_cast<int>(left < size ? left : size);
  std::memcpy(buf, s->bytes_.data() + s->pos_, static_cast<size_t>(n));
  s->pos_ += n;
  return n;
}

int64_t AvioSource::seek_memory(void* opaque, int64_t offset, int whence) {
  auto* s = static_cast<AvioSource*>(opaque);
  const auto size = static_cast<int64_t>(s->bytes_.size());
  int64_t target;
  switch (whence & ~AVSEEK_FORCE) {
    case AVSEEK_SIZE: return size;
    case SEEK_SET: target = offset; break;
    case SEEK_CUR: target = s->pos_ + offset; break;
    case SEEK_END: target = size + offset; break;
    default: return AVERROR(EINVAL);
  }
  if (target < 0 || target > size) return AVERROR(EINVAL);
  s->pos_ = target;
  return target;
}

int AvioSource::read_fd(void* opaque, uint8_t* buf, int size) {
  auto* s = static_cast<AvioSource*>(opaque);
  for (;;) {
    const ssize_t n = ::read(s->fd_, buf, static_cast<size_t>(size));
    if (n > 0) return static_cast<int>(n);
    if (n == 0) return AVERROR_EOF;
    if (errno != EINTR) return AVERROR(errno);
  }
}

int64_t AvioSource::seek_fd(void* opaque, int64_t offset, int whence) {
  auto* s = static_cast<AvioSource*>(opaque);
  if ((whence & ~AVSEEK_FORCE) == AVSEEK_SIZE) return s->size_;
  const off_t r = lseek(s->fd_, offset, whence & ~AVSEEK_FORCE);
  return r < 0 ? AVERROR(errno) : r;
}

}  // namespace cuframe::detail
