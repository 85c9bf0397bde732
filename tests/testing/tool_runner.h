// Runs the shrink tool from end-to-end tests and captures its exit code, stdout and stderr.
#ifndef SHRINK_TESTS_TESTING_TOOL_RUNNER_H_
#define SHRINK_TESTS_TESTING_TOOL_RUNNER_H_

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include "testing/test_util.h"

namespace shrink::testing {

struct RunResult {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the shrink tool with `args` (shell-quoted by the caller); stderr goes through a file in `dir`.
inline RunResult Shrink(const std::string& args, const ScratchDir& dir) {
  const std::string err_file = dir.File("stderr.txt");
  const std::string cmd = std::string(SHRINK_TOOL_PATH) + " " + args + " 2>" + err_file;
  RunResult r{-1, "", ""};
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), n);
  const int status = pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  const auto err = ReadBytes(err_file);
  r.err.assign(err.begin(), err.end());
  return r;
}

}  // namespace shrink::testing

#endif  // SHRINK_TESTS_TESTING_TOOL_RUNNER_H_
