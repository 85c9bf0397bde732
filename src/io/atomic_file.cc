// Writes files atomically: a temporary file beside the destination, fsync, then rename.
#include "shrink/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "shrink/core/error.h"

namespace shrink {
namespace {

constexpr size_t kBufferBytes = size_t{1} << 20;  // gathers small writes before write(2)

// Returns the process umask without changing it (read from /proc; 022 if unavailable).
mode_t CurrentUmask() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Umask:", 0) == 0) {
      try {
        return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
      } catch (...) {
        break;
      }
    }
  }
  return 022;
}

// Returns the directory part of `path` ("." when it has none).
std::string DirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Writes all `num_bytes` of `data` to `fd`, retrying short writes; returns errno or 0.
int WriteAll(int fd, const uint8_t* data, size_t num_bytes) {
  while (num_bytes > 0) {
    const ssize_t n = ::write(fd, data, num_bytes);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    data += n;
    num_bytes -= static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(const std::string& path) : path_(path) {
  if (path.empty()) Fail(ErrorCode::kIo, "cannot write a file with an empty path");
  std::string name = path + ".tmp-XXXXXX";
  fd_ = ::mkstemp(name.data());
  if (fd_ < 0) {
    Fail(ErrorCode::kIo, "cannot create a temporary file for '", path, "': ", std::strerror(errno));
  }
  temp_path_ = name;
  (void)::fchmod(fd_, 0644 & ~CurrentUmask());
  buffer_.reserve(kBufferBytes);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_ && !temp_path_.empty()) ::unlink(temp_path_.c_str());
}

void AtomicFileWriter::Flush() {
  if (buffer_.empty()) return;
  const int err = WriteAll(fd_, buffer_.data(), buffer_.size());
  buffer_.clear();
  if (err != 0) Fail(ErrorCode::kIo, "cannot write '", path_, "': ", std::strerror(err));
}

void AtomicFileWriter::Write(const void* data, size_t num_bytes) {
  if (fd_ < 0) Fail(ErrorCode::kIo, "cannot write '", path_, "': the file is already closed");
  if (num_bytes == 0) return;
  const auto* bytes = static_cast<const uint8_t*>(data);
  if (buffer_.size() + num_bytes <= kBufferBytes) {
    buffer_.insert(buffer_.end(), bytes, bytes + num_bytes);
  } else {
    Flush();
    if (num_bytes < kBufferBytes) {
      buffer_.insert(buffer_.end(), bytes, bytes + num_bytes);
    } else {
      const int err = WriteAll(fd_, bytes, num_bytes);
      if (err != 0) Fail(ErrorCode::kIo, "cannot write '", path_, "': ", std::strerror(err));
    }
  }
  offset_ += num_bytes;
}

void AtomicFileWriter::WriteZeros(size_t num_bytes) {
  static const uint8_t kZeros[4096] = {};
  while (num_bytes > 0) {
    const size_t n = std::min(num_bytes, sizeof(kZeros));
    Write(kZeros, n);
    num_bytes -= n;
  }
}

void AtomicFileWriter::Commit() {
  if (fd_ < 0 || committed_) Fail(ErrorCode::kIo, "'", path_, "' was already committed or closed");
  Flush();
  if (::fsync(fd_) != 0) Fail(ErrorCode::kIo, "cannot sync '", path_, "': ", std::strerror(errno));
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) Fail(ErrorCode::kIo, "cannot close '", path_, "': ", std::strerror(errno));
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    Fail(ErrorCode::kIo, "cannot rename '", temp_path_, "' to '", path_, "': ", std::strerror(errno));
  }
  committed_ = true;
  // Makes the rename itself durable; failure here does not undo a completed write.
  const int dir_fd = ::open(DirectoryOf(path_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace shrink
