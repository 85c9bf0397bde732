// A progress bar on stderr for work that takes more than a second.
#ifndef SHRINK_TOOLS_SHRINK_PROGRESS_H_
#define SHRINK_TOOLS_SHRINK_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace shrink::cli {

// Draws "label [#####     ] 12/40" on stderr once the work has run for a second, only when
// stderr is a terminal; clears the line when done. Not thread-safe: advance from one thread.
class Progress {
 public:
  Progress(std::string label, int64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Records `steps` more units of work done and redraws at most ten times a second.
  void Advance(int64_t steps = 1) { Update(done_ + steps); }
  // Records that `done` units of work are done (of the total) and redraws like Advance.
  void Update(int64_t done);

 private:
  void Draw();

  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace shrink::cli

#endif  // SHRINK_TOOLS_SHRINK_PROGRESS_H_
