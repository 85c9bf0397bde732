// Entry point of the shrink tool: picks the subcommand, sets threads, maps errors to exit codes.
#include <fmt/format.h>

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "shrink/core/error.h"
#include "shrink/core/threads.h"
#include "tools/shrink/commands.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitBadInput = 1;
constexpr int kExitInternal = 2;

void PrintTopHelp(std::FILE* out) {
  fmt::print(out, "usage: shrink COMMAND [args] [flags]\n\ncommands:\n");
  for (const auto& c : shrink::cli::AllCommands()) fmt::print(out, "  {:<10} {}\n", c.spec.name, c.spec.summary);
  fmt::print(out, "\nRun 'shrink COMMAND --help' for a command's flags. Exit codes: 0 ok, 1 bad input or "
                  "usage, 2 internal error.\n");
}

}  // namespace

int main(int argc, char** argv) {
  using shrink::cli::UsageError;
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    PrintTopHelp(argc < 2 ? stderr : stdout);
    return argc < 2 ? kExitBadInput : kExitOk;
  }
  const std::string name = argv[1];
  const std::vector<std::string> rest(argv + 2, argv + argc);
  for (const auto& command : shrink::cli::AllCommands()) {
    if (command.spec.name != name) continue;
    try {
      const auto args = shrink::cli::Parse(command.spec, rest);
      if (args.Has("help")) {
        fmt::print("{}", shrink::cli::HelpText(command.spec));
        return kExitOk;
      }
      shrink::SetNumThreads(static_cast<int>(args.GetInt("threads", 0, 1, 1024)));
      return command.run(args);
    } catch (const UsageError& e) {
      fmt::print(stderr, "shrink {}: {}\n(run 'shrink {} --help' for usage)\n", name, e.what(), name);
      return kExitBadInput;
    } catch (const shrink::Error& e) {
      fmt::print(stderr, "shrink {}: error: {}\n", name, e.what());
      return e.code() == shrink::ErrorCode::kInternal ? kExitInternal : kExitBadInput;
    } catch (const std::bad_alloc&) {
      fmt::print(stderr, "shrink {}: error: out of memory\n", name);
      return kExitInternal;
    } catch (const std::exception& e) {
      fmt::print(stderr, "shrink {}: internal error: {}\n", name, e.what());
      return kExitInternal;
    }
  }
  fmt::print(stderr, "shrink: unknown command '{}'\n\n", name);
  PrintTopHelp(stderr);
  return kExitBadInput;
}
