#include "checkpoint/torch_archive_checks.hpp"

#include "checkpoint/zip_directory.hpp"

#include <volt/sdk/core.hpp>

#include <caffe2/serialize/versions.h>

#include <cstring>
#include <optional>
#include <string>

namespace volt::host {
namespace {

// torch.save before PyTorch 1.6 (and with _use_new_zipfile_serialization=False) wrote a bare
// pickle stream that starts with protocol 2 and the long integer 0x1950a86a20f9469cfc6c.
bool is_legacy_torch_save(const caffe2::serialize::ReadAdapterInterface& in) {
  static const unsigned char kMagic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                         0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
  unsigned char head[sizeof(kMagic)] = {};
  return in.size() >= sizeof(kMagic) && in.read(0, head, sizeof(head), "legacy magic") == sizeof(head) &&
         std::memcmp(head, kMagic, sizeof(kMagic)) == 0;
}

}  // namespace

void check_not_legacy_torch_save(const caffe2::serialize::ReadAdapterInterface& in) {
  if (is_legacy_torch_save(in))
    throw Error(VOLT_ERROR_INVALID_ARGUMENT,
                "a legacy torch.save file (the format before PyTorch 1.6, or "
                "_use_new_zipfile_serialization=False); Volt reads the zip format: convert it in Python "
                "with torch.save(torch.load(old), new)");
}

// Found by tests/fuzz/checkpoint_reader_fuzz.cpp under LeakSanitizer.
void check_what_the_torch_reader_checks(const ZipDirectory& directory) {
  if (directory.size() == 0) throw Error(VOLT_ERROR_DATA_LOSS, "the archive holds no records");
  if (!directory.has_top_folder())
    throw Error(VOLT_ERROR_DATA_LOSS, "the archive's records are not in a top folder (torch.save writes one)");
  const char* record = directory.has_record(".data/version") ? ".data/version" : "version";
  if (!directory.has_record(record))
    throw Error(VOLT_ERROR_DATA_LOSS, "the archive has no version record: not written by torch.save");
  const std::optional<std::string> text = directory.small_record(record);
  uint64_t version = 0;
  size_t digits = 0;
  for (char c : *text) {
    if (c < '0' || c > '9') break;
    if (++digits > 18) break;
    version = version * 10 + static_cast<uint64_t>(c - '0');
  }
  const bool trailing_ok = text->find_first_not_of("0123456789 \t\r\n") == std::string::npos;
  if (digits == 0 || digits > 18 || !trailing_ok || version < caffe2::serialize::kMinSupportedFileFormatVersion ||
      version > caffe2::serialize::kMaxSupportedFileFormatVersion)
    throw Error(VOLT_ERROR_DATA_LOSS, "the archive's file format version '" + text->substr(0, 20) +
                                          "' is not one this LibTorch reads (" +
                                          std::to_string(caffe2::serialize::kMinSupportedFileFormatVersion) + " to " +
                                          std::to_string(caffe2::serialize::kMaxSupportedFileFormatVersion) + ")");
}


}  // namespace volt::host
