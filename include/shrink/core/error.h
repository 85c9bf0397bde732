// Error type thrown at the API boundary: a code plus a message that names what is wrong.
#ifndef SHRINK_CORE_ERROR_H_
#define SHRINK_CORE_ERROR_H_

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace shrink {

// Classifies an Error so callers (and the CLI's exit codes) can react by kind.
enum class ErrorCode {
  kInvalidArgument,  // a bad option, name or value passed by the caller
  kShapeMismatch,    // tensor shapes or sizes that do not fit together
  kUnsupported,      // a valid request this build or format cannot serve
  kCorruptData,      // a file or compressed blob that fails validation
  kNotFound,         // a missing file, tensor, section or registry entry
  kIo,               // the operating system refused a read or write
  kInternal,         // a broken invariant inside shrink (a bug)
};

// Returns the lower-case name of `code` ("invalid argument", "corrupt data", ...).
const char* ErrorCodeName(ErrorCode code) noexcept;

// Is thrown for every bad input at the API boundary; what() is "<code name>: <message>".
class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message)
      : std::runtime_error(std::string(ErrorCodeName(code)) + ": " + message),
        code_(code),
        message_(message) {}

  ErrorCode code() const noexcept { return code_; }
  // Returns the message without the code prefix.
  const std::string& message() const noexcept { return message_; }

 private:
  ErrorCode code_;
  std::string message_;
};

// Concatenates the streamable `parts` into one string (for error messages).
template <typename... Parts>
std::string StrCat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

// Throws Error(code, StrCat(parts...)).
template <typename... Parts>
[[noreturn]] void Fail(ErrorCode code, const Parts&... parts) {
  throw Error(code, StrCat(parts...));
}

inline const char* ErrorCodeName(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kShapeMismatch: return "shape mismatch";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kCorruptData: return "corrupt data";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kIo: return "i/o error";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

}  // namespace shrink

#endif  // SHRINK_CORE_ERROR_H_
