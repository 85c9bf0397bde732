// MappedFile: a read-only memory mapping of a whole file, shared by lazy readers.
#ifndef SHRINK_IO_MAPPED_FILE_H_
#define SHRINK_IO_MAPPED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace shrink {

// Maps one file read-only (PROT_READ, MAP_PRIVATE) for its whole lifetime; readers share it
// through std::shared_ptr so tensors can be read lazily, straight from the page cache.
class MappedFile {
 public:
  // Maps the file at `path`. Throws kNotFound when it does not exist and kIo when it is a
  // directory, not a regular file, or cannot be opened or mapped. An empty file is allowed:
  // its data() is nullptr and its size() is 0.
  static std::shared_ptr<const MappedFile> Open(const std::string& path);

  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  // Unmaps the file.
  ~MappedFile();

  // Returns the first byte of the mapping (nullptr for an empty file).
  const uint8_t* data() const { return data_; }
  // Returns the size of the file in bytes.
  size_t size() const { return size_; }
  // Returns the path the file was opened with.
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size)
      : path_(std::move(path)), data_(data), size_(size) {}

  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace shrink

#endif  // SHRINK_IO_MAPPED_FILE_H_
