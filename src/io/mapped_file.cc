// Memory-maps files read-only for the lazy safetensors and GGUF readers.
#include "shrink/io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "shrink/core/error.h"

namespace shrink {
namespace {

// Closes a file descriptor when it goes out of scope.
class FdCloser {
 public:
  explicit FdCloser(int fd) : fd_(fd) {}
  ~FdCloser() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdCloser(const FdCloser&) = delete;
  FdCloser& operator=(const FdCloser&) = delete;

 private:
  int fd_;
};

}  // namespace

std::shared_ptr<const MappedFile> MappedFile::Open(const std::string& path) {
  int fd;
  do {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is rejected below.
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENOTDIR) {
      Fail(ErrorCode::kNotFound, "file '", path, "' does not exist");
    }
    Fail(ErrorCode::kIo, "cannot open '", path, "': ", std::strerror(err));
  }
  FdCloser closer(fd);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Fail(ErrorCode::kIo, "cannot stat '", path, "': ", std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) Fail(ErrorCode::kIo, "'", path, "' is a directory, expected a file");
  if (!S_ISREG(st.st_mode)) Fail(ErrorCode::kIo, "'", path, "' is not a regular file");
  if (st.st_size < 0 ||
      static_cast<uint64_t>(st.st_size) > std::numeric_limits<size_t>::max()) {
    Fail(ErrorCode::kIo, "'", path, "' has a size (", st.st_size, ") that cannot be mapped");
  }
  const auto size = static_cast<size_t>(st.st_size);
  if (size == 0) return std::shared_ptr<const MappedFile>(new MappedFile(path, nullptr, 0));
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED) {
    Fail(ErrorCode::kIo, "cannot map '", path, "' (", size, " bytes): ", std::strerror(errno));
  }
  try {
    return std::shared_ptr<const MappedFile>(
        new MappedFile(path, static_cast<const uint8_t*>(p), size));
  } catch (...) {
    ::munmap(p, size);
    throw;
  }
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace shrink
