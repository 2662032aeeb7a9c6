#include "checkpoint/pickle_writer.hpp"

#include "checkpoint/zip_writer.hpp"

#include <volt/sdk/core.hpp>

#include <algorithm>
#include <cstring>
#include <string>

namespace volt::host {

namespace {

// Pickle opcodes (protocol 2), as named in Python's pickle module.
enum : char {
  MARK = '(', STOP = '.', BININT = 'J', BININT1 = 'K', BININT2 = 'M', NONE = 'N',
  BINPERSID = 'Q', REDUCE = 'R', BINUNICODE = 'X', APPENDS = 'e', BINFLOAT = 'G', GLOBAL = 'c',
  EMPTY_DICT = '}', EMPTY_LIST = ']', EMPTY_TUPLE = ')', SETITEMS = 'u', TUPLE = 't'
};
constexpr char PROTO = '\x80', NEWTRUE = '\x88', NEWFALSE = '\x89', LONG1 = '\x8a';

// The legacy typed-storage class Python's torch.load maps back to a dtype.
const char* storage_class(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "FloatStorage";
    case at::kDouble: return "DoubleStorage";
    case at::kHalf: return "HalfStorage";
    case at::kBFloat16: return "BFloat16Storage";
    case at::kLong: return "LongStorage";
    case at::kInt: return "IntStorage";
    case at::kShort: return "ShortStorage";
    case at::kChar: return "CharStorage";
    case at::kByte: return "ByteStorage";
    case at::kBool: return "BoolStorage";
    case at::kComplexFloat: return "ComplexFloatStorage";
    case at::kComplexDouble: return "ComplexDoubleStorage";
    default: throw Error(std::string("cannot save tensors of dtype ") + c10::toString(t));
  }
}

class Pickler {
 public:
  std::string data;
  std::vector<at::Tensor> tensors;  // record "data/<i>" holds tensors[i]

  void run(const c10::IValue& v) {
    data.push_back(PROTO);
    data.push_back(2);
    value(v);
    data.push_back(STOP);
  }

 private:
  void op(char c) { data.push_back(c); }
  template <class T>
  void raw_le(T v) {  // little-endian, as pickle wants for lengths and ints
    for (size_t i = 0; i < sizeof(T); ++i) data.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }

  void global(const char* module, const char* name) {
    op(GLOBAL);
    data += module;
    data.push_back('\n');
    data += name;
    data.push_back('\n');
  }
  void string(const std::string& s) {
    op(BINUNICODE);
    raw_le(static_cast<uint32_t>(s.size()));
    data += s;
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op(BININT1);
      data.push_back(static_cast<char>(v));
    } else if (v >= 0 && v < 65536) {
      op(BININT2);
      raw_le(static_cast<uint16_t>(v));
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op(BININT);
      raw_le(static_cast<uint32_t>(static_cast<int32_t>(v)));
    } else {
      op(LONG1);  // two's complement, little-endian, 8 bytes
      data.push_back(8);
      raw_le(static_cast<uint64_t>(v));
    }
  }
  void real(double d) {
    op(BINFLOAT);  // big-endian IEEE 754
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    for (int i = 7; i >= 0; --i) data.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  void tuple(const std::vector<int64_t>& items) {
    op(MARK);
    for (int64_t i : items) integer(i);
    op(TUPLE);
  }

  void tensor(const at::Tensor& t) {
    if (t.is_sparse() || t.is_quantized() || t.is_mkldnn())
      throw Error("cannot save sparse, quantized or MKL-DNN tensors in a checkpoint");
    const char* cls = storage_class(t.scalar_type());
    std::string key = std::to_string(tensors.size());
    tensors.push_back(t.detach());
    std::vector<int64_t> sizes(t.sizes().begin(), t.sizes().end());
    std::vector<int64_t> strides(sizes.size(), 1);  // the record is written contiguous
    for (size_t i = sizes.size(); i-- > 1;) strides[i - 1] = strides[i] * std::max<int64_t>(sizes[i], 1);
    // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)
    global("torch._utils", "_rebuild_tensor_v2");
    op(MARK);
    op(MARK);
    string("storage");
    global("torch", cls);
    string(key);
    string(t.device().str());
    integer(t.numel());
    op(TUPLE);
    op(BINPERSID);
    integer(0);
    tuple(sizes);
    tuple(strides);
    op(NEWFALSE);
    global("collections", "OrderedDict");
    op(EMPTY_TUPLE);
    op(REDUCE);
    op(TUPLE);
    op(REDUCE);
  }

  void value(const c10::IValue& v) {
    if (v.isNone()) {
      op(NONE);
    } else if (v.isBool()) {
      op(v.toBool() ? NEWTRUE : NEWFALSE);
    } else if (v.isInt()) {
      integer(v.toInt());
    } else if (v.isDouble()) {
      real(v.toDouble());
    } else if (v.isString()) {
      string(v.toStringRef());
    } else if (v.isTensor()) {
      tensor(v.toTensor());
    } else if (v.isTuple()) {
      op(MARK);
      for (const auto& e : v.toTupleRef().elements()) value(e);
      op(TUPLE);
    } else if (v.isList()) {
      op(EMPTY_LIST);
      op(MARK);
      for (const c10::IValue e : v.toListRef()) value(e);
      op(APPENDS);
    } else if (v.isGenericDict()) {
      op(EMPTY_DICT);
      op(MARK);
      for (const auto& e : v.toGenericDict()) {
        value(e.key());
        value(e.value());
      }
      op(SETITEMS);
    } else {
      throw Error("cannot save a value of type " + v.tagKind() + " in a checkpoint");
    }
  }
};

}  // namespace

void write_torch_file(const c10::IValue& value, const ByteWriter& out) {
  Pickler pickler;
  pickler.run(value);  // fails before anything is written for unsupported values
  TorchZipWriter zip(out);
  zip.add("data.pkl", pickler.data.data(), pickler.data.size());
  static const char kByteOrder[] = "little";
  zip.add("byteorder", kByteOrder, 6);
  for (size_t i = 0; i < pickler.tensors.size(); ++i) {
    // At most two CPU copies at a time (the zip writer's pipeline): a CUDA model never needs a
    // full copy in host memory.
    auto t = std::make_shared<at::Tensor>(pickler.tensors[i].contiguous().to(at::kCPU));
    zip.add("data/" + std::to_string(i), t->data_ptr(),
            static_cast<size_t>(t->numel()) * t->element_size(), t);
  }
  zip.finish();
}

std::vector<char> torch_file_bytes(const c10::IValue& value) {
  std::vector<char> bytes;
  write_torch_file(value, [&](const void* data, size_t size) {
    const char* p = static_cast<const char*>(data);
    bytes.insert(bytes.end(), p, p + size);
  });
  return bytes;
}

}  // namespace volt::host
