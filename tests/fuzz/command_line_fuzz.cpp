// Fuzz target: the command-line parser (subcommands, --config layers, dotted flags, LightningCLI
// spellings) on one argument per input line.
#include "config/command_line.hpp"
#include "config/config_error.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    args.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  // Device and process files can block a read (a terminal, a pipe); the bounded reads of
  // /dev/zero and of large files have their own tests.
  for (const auto& a : args)
    for (const char* special : {"/dev/", "/proc/", "/sys/"})
      if (a.find(special) != std::string::npos) return 0;
  try {
    volt::host::config::parse_command_line(args, {});
  } catch (const volt::host::config::ConfigError&) {
  }
  return 0;
}
