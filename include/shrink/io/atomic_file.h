// AtomicFileWriter: writes a file through a temporary beside it and renames it into place.
#ifndef SHRINK_IO_ATOMIC_FILE_H_
#define SHRINK_IO_ATOMIC_FILE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace shrink {

// Writes a new file at a final path so that readers see either the old file or the complete
// new one: bytes go to "<path>.tmp-XXXXXX" in the same directory, and Commit() flushes,
// fsyncs and renames it over `path`. Without Commit() (an exception, an early return) the
// destructor deletes the temporary file and the destination is never touched. The new file
// gets mode 0644 (minus the process umask). Not thread-safe.
class AtomicFileWriter {
 public:
  // Creates the temporary file beside `path`; throws kIo naming the path when it cannot.
  explicit AtomicFileWriter(const std::string& path);
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;
  // Removes the temporary file unless Commit() succeeded.
  ~AtomicFileWriter();

  // Appends `num_bytes` bytes from `data`; throws kIo (e.g. disk full) naming the path.
  void Write(const void* data, size_t num_bytes);
  // Appends `num_bytes` zero bytes; throws kIo like Write.
  void WriteZeros(size_t num_bytes);
  // Returns the number of bytes written so far (the offset of the next byte).
  uint64_t offset() const { return offset_; }
  // Flushes, fsyncs and closes the temporary file and renames it over the final path;
  // throws kIo on failure (the temporary file is then removed). Call at most once.
  void Commit();
  // Returns the final path.
  const std::string& path() const { return path_; }

 private:
  void Flush();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
  uint64_t offset_ = 0;
  std::vector<uint8_t> buffer_;  // small writes are gathered here before write(2)
};

}  // namespace shrink

#endif  // SHRINK_IO_ATOMIC_FILE_H_
