// What Volt checks in a torch.save file before LibTorch's PyTorchStreamReader opens it: the
// legacy (pre-zip) format, named with how to convert it, and what the reader's constructor
// checks itself, because LibTorch 1.13 leaks miniz's state when that constructor throws.
#pragma once

#include <caffe2/serialize/read_adapter_interface.h>

namespace volt::host {

class ZipDirectory;

// Throws volt::Error when `in` is a legacy torch.save file (before PyTorch 1.6, or
// _use_new_zipfile_serialization=False).
void check_not_legacy_torch_save(const caffe2::serialize::ReadAdapterInterface& in);

// Throws volt::Error unless the archive has records in a top folder and a version record
// (CRC-checked) in the range this LibTorch reads.
void check_what_the_torch_reader_checks(const ZipDirectory& directory);

}  // namespace volt::host
