// Reads files in torch.save's format (zip archive + pickle), written by Python's torch.save,
// by torch::pickle_save or by write_torch_file, into IValues. Tensors land on the CPU.
//
// Why not torch::pickle_load: in LibTorch 1.13 it turns the collections.OrderedDict that
// Python's state_dict() returns into None, so a plain `torch.save(model.state_dict())` (and
// any Python-made Lightning checkpoint) cannot be read. This reader understands the pickle
// subset torch.save produces; objects of other Python classes become None (reported in
// `unknown`), and anything malformed is a volt::Error, never a crash.
#pragma once

#include <volt/sdk/torch_core.hpp>

#include <filesystem>
#include <set>
#include <string>

namespace volt::host {

struct TorchFile {
  c10::IValue value;
  std::set<std::string> unknown;  // Python classes replaced by None, e.g. "argparse.Namespace"
};

// Throws volt::Error describing what is wrong (the caller adds the file name).
TorchFile read_torch_file(const std::filesystem::path& path);
// The same values without reading any tensor data: tensors are on the meta device (shape and
// dtype only). For what a file holds besides its weights (hyper_parameters), at a fraction of
// the I/O.
TorchFile read_torch_file_structure(const std::filesystem::path& path);
TorchFile read_torch_bytes(const void* data, size_t size);

}  // namespace volt::host
