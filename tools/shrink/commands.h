// The shrink tool's subcommands: each has a spec (flags, help) and a Run function.
#ifndef SHRINK_TOOLS_SHRINK_COMMANDS_H_
#define SHRINK_TOOLS_SHRINK_COMMANDS_H_

#include <vector>

#include "tools/shrink/args.h"

namespace shrink::cli {

// Pairs a subcommand's spec with its implementation; Run returns the process exit code.
struct Command {
  CommandSpec spec;
  int (*run)(const ParsedArgs& args);
};

Command InfoCommand();
Command InspectCommand();
Command ConvertCommand();
Command QuantizeCommand();
Command EvalCommand();
Command GenerateCommand();
Command CalibrateCommand();
Command CaptureKvCommand();

// Returns every subcommand, in the order `shrink --help` lists them.
inline std::vector<Command> AllCommands() {
  return {InfoCommand(), InspectCommand(), ConvertCommand(), QuantizeCommand(), EvalCommand(),
          GenerateCommand(), CalibrateCommand(), CaptureKvCommand()};
}

}  // namespace shrink::cli

#endif  // SHRINK_TOOLS_SHRINK_COMMANDS_H_
