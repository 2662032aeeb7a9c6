// The host's log: one line per message on stdout, "[info] text" (errors on stderr too, as
// spdlog's console sink does). Messages are built from parts streamed with operator<<:
//   log::info("Checkpoint saved to ", path.string());
//
// Why a facade: only log.cpp includes spdlog, and it is compiled without LibTorch's include
// folders. LibTorch 2.x (pip torch) ships its own fmt headers, which shadow the fmt that a
// system spdlog was built with; a translation unit that saw both would not compile.
#pragma once

#include <sstream>
#include <string>
#include <utility>

namespace volt::host::log {

enum class Level { debug, info, warning, error };

// Thread-safe; never throws.
void write(Level level, const std::string& message) noexcept;
bool enabled(Level level) noexcept;
// The console format the `volt` program uses: "[info] text", coloured on a terminal.
void use_console_format() noexcept;
// Messages go to stderr from now on: for commands whose stdout is data (plugins --json,
// completion scripts, --print-config, help).
void use_stderr() noexcept;
// In a run of several processes: lines carry "[rank N]", and ranks other than 0 print warnings
// and errors only (Lightning's rank_zero_info), so N workers do not repeat every line.
void set_process_rank(int rank, int world_size) noexcept;

template <class... Parts>
void write_parts(Level level, Parts&&... parts) {
  if (!enabled(level)) return;
  std::ostringstream text;
  (text << ... << std::forward<Parts>(parts));
  write(level, text.str());
}

template <class... Parts> void debug(Parts&&... p) { write_parts(Level::debug, std::forward<Parts>(p)...); }
template <class... Parts> void info(Parts&&... p) { write_parts(Level::info, std::forward<Parts>(p)...); }
template <class... Parts> void warning(Parts&&... p) { write_parts(Level::warning, std::forward<Parts>(p)...); }
template <class... Parts> void error(Parts&&... p) { write_parts(Level::error, std::forward<Parts>(p)...); }

}  // namespace volt::host::log
