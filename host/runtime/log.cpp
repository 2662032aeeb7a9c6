// spdlog behind host/runtime/log.hpp; built as its own library without LibTorch's includes.
#include "runtime/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace volt::host::log {

namespace {

spdlog::level::level_enum to_spdlog(Level level) {
  switch (level) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warning: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
  }
  return spdlog::level::err;
}

}  // namespace

void write(Level level, const std::string& message) noexcept {
  try {
    spdlog::log(to_spdlog(level), "{}", message);
  } catch (...) {
    // Logging must never take the run down.
  }
}

bool enabled(Level level) noexcept { return spdlog::should_log(to_spdlog(level)); }

void use_console_format() noexcept {
  try {
    spdlog::set_pattern("%^[%l]%$ %v");
  } catch (...) {
  }
}

void use_stderr() noexcept {
  try {
    auto logger = spdlog::stderr_color_mt("volt-stderr");
    logger->set_level(spdlog::default_logger()->level());
    spdlog::set_default_logger(logger);
    spdlog::set_pattern("%^[%l]%$ %v");
  } catch (...) {
  }
}

void set_process_rank(int rank, int world_size) noexcept {
  if (world_size <= 1) return;
  try {
    spdlog::set_pattern("%^[%l]%$ [rank " + std::to_string(rank) + "] %v");
    if (rank != 0) spdlog::set_level(spdlog::level::warn);
  } catch (...) {
  }
}

}  // namespace volt::host::log
