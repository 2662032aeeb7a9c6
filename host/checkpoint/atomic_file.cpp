#include "checkpoint/atomic_file.hpp"

#include <volt/sdk/core.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace volt::host {

namespace fs = std::filesystem;

namespace {

void fsync_folder(const fs::path& folder) {
  int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // some file systems do not allow it; the rename itself is done
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicFile::AtomicFile(fs::path path) : path_(std::move(path)) {
  tmp_ = path_;
  tmp_ += ".tmp";
  std::error_code ec;
  if (path_.has_parent_path()) fs::create_directories(path_.parent_path(), ec);
  if (ec)
    throw Error(VOLT_ERROR_UNAVAILABLE,
                "cannot create the folder of " + path_.string() + ": " + ec.message());
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail("cannot open " + tmp_.string() + " for writing", errno);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());  // ours: the constructor succeeded
}

void AtomicFile::write(const void* data, size_t size) noexcept {
  const char* p = static_cast<const char*>(data);
  while (size > 0 && error_ == 0) {
    ssize_t n = ::write(fd_, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = errno;
      return;
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  if (error_ != 0) fail("cannot write " + tmp_.string(), error_);
  if (::fsync(fd_) != 0) fail("cannot flush " + tmp_.string() + " to disk", errno);
  int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("cannot close " + tmp_.string(), errno);
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    fail("cannot rename " + tmp_.string() + " to " + path_.string(), errno);
  committed_ = true;
  fsync_folder(path_.parent_path());
}

void AtomicFile::fail(const std::string& what, int err) {
  throw Error(VOLT_ERROR_UNAVAILABLE,
              what + ": " + std::strerror(err) + " (" + path_.string() + " was left unchanged)");
}

void write_file_atomically(const fs::path& path, const void* data, size_t size) {
  AtomicFile file(path);
  file.write(data, size);
  file.commit();
}

}  // namespace volt::host
