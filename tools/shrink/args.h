// Command-line flag specs and parsing for the shrink tool's subcommands.
#ifndef SHRINK_TOOLS_SHRINK_ARGS_H_
#define SHRINK_TOOLS_SHRINK_ARGS_H_

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace shrink::cli {

// Is thrown for a malformed command line; main prints it with the usage and exits 1.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Declares one flag: "--name VALUE" when value_name is set, else a boolean "--name".
struct FlagSpec {
  std::string name;
  std::string value_name;
  std::string help;
};

// Declares one subcommand: its name, positional arguments, summary and flags. Every command
// also takes --help, --json and --threads N.
struct CommandSpec {
  std::string name;
  std::string positional;  // e.g. "FILE" or "IN OUT"
  std::string summary;
  std::vector<FlagSpec> flags;
  int min_positional = 0;
  int max_positional = 0;
};

// Holds a parsed command line.
class ParsedArgs {
 public:
  bool Has(const std::string& name) const { return values_.count(name) != 0; }
  // Returns the value of --name, or `fallback` when absent.
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  // Returns --name as an integer in [min, max]; throws UsageError naming the flag otherwise.
  long long GetInt(const std::string& name, long long fallback, long long min, long long max) const;
  // Returns the value of a required flag; throws UsageError when absent.
  std::string Require(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  friend ParsedArgs Parse(const CommandSpec& spec, const std::vector<std::string>& argv);
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

// Parses `argv` (after the subcommand name) against `spec`; throws UsageError for an unknown
// flag, a missing value or a wrong number of positional arguments (unless --help is given).
ParsedArgs Parse(const CommandSpec& spec, const std::vector<std::string>& argv);

// Returns the --help text of `spec`.
std::string HelpText(const CommandSpec& spec);

}  // namespace shrink::cli

#endif  // SHRINK_TOOLS_SHRINK_ARGS_H_
