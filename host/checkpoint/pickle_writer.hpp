// Writes values in torch.save's format (a zip archive holding data.pkl, pickle protocol 2, and
// one record per tensor), which Python's torch.load opens, with weights_only=True too.
//
// Why not torch::pickle_save: it wraps every dict and list in torch.jit._pickle.restore_type_tag,
// which torch.load(weights_only=True), the default since PyTorch 2.6, refuses; and it builds
// the whole file in memory. Here dicts, lists, tuples and tensors are written as Python writes
// them, and tensor data streams to `out` one tensor at a time (checkpoint/zip_writer.hpp).
#pragma once

#include <volt/sdk/torch_core.hpp>

#include <functional>
#include <vector>

namespace volt::host {

// `out` receives the file's bytes in order; it must not throw (AtomicFile::write does not).
using ByteWriter = std::function<void(const void* data, size_t size)>;

// Supported: None, bool, int, float, str, tensors (dense, any device; saved with their device
// as location, data always written from a CPU copy), and dicts (str or int keys), lists and
// tuples of these. Throws volt::Error for anything else.
void write_torch_file(const c10::IValue& value, const ByteWriter& out);

// The same file as bytes (e.g. an optimizer's state for volt_optimizer.load_state).
std::vector<char> torch_file_bytes(const c10::IValue& value);

}  // namespace volt::host
