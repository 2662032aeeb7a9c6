// A file that appears under its final name only once it is complete and on disk: the data goes
// to `<path>.tmp` in the same folder, which is fsynced, renamed over `path`, and the folder is
// fsynced. Until commit() succeeds the previous file at `path` is never touched, so a crash or
// an error during a checkpoint save cannot damage the last good checkpoint.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace volt::host {

class AtomicFile {
 public:
  // Creates the parent folders and opens the temporary file. Throws volt::Error naming it.
  explicit AtomicFile(std::filesystem::path path);
  // Removes the temporary file unless commit() succeeded.
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  // Appends bytes. Never throws: the first error is kept and reported by commit(), so this can
  // be called from C callbacks (the zip writer) where exceptions must not pass.
  void write(const void* data, size_t size) noexcept;
  // fsync, rename over the final path, fsync the folder. Throws volt::Error on any failure.
  void commit();

  const std::filesystem::path& path() const { return path_; }
  const std::filesystem::path& temporary_path() const { return tmp_; }

 private:
  [[noreturn]] void fail(const std::string& what, int err);

  std::filesystem::path path_;
  std::filesystem::path tmp_;
  int fd_ = -1;
  int error_ = 0;  // errno of the first failed write
  bool committed_ = false;
};

// Removes `*.ckpt.tmp` files in `folder` that a killed save left behind: those no writer holds
// (AtomicFile locks its temporary while it writes) and that are older than a few seconds.
// AtomicFile calls it before each write into a folder.
void remove_stale_checkpoint_temporaries(const std::filesystem::path& folder);

// Writes `size` bytes to `path` atomically (AtomicFile in one call).
void write_file_atomically(const std::filesystem::path& path, const void* data, size_t size);

}  // namespace volt::host
