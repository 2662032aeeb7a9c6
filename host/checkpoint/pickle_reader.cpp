#include "checkpoint/pickle_reader.hpp"

#include <volt/sdk/core.hpp>

#include "checkpoint/torch_archive_checks.hpp"
#include "checkpoint/zip_directory.hpp"

#include <caffe2/serialize/file_adapter.h>
#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>

#include <cstdio>
#include <cstring>
#include <algorithm>
#include <map>
#include <unordered_map>
#include <vector>

namespace volt::host {

namespace {

// Limits on what a checkpoint's pickle may build (docs/limits.md).
constexpr int kMaxPickleDepth = 512;              // containers inside containers
constexpr size_t kMaxPickleValues = size_t{1} << 24;  // values, shared references expanded

using c10::IValue;

// A Python global (class or function) on the stack. Kept as a string with a prefix no pickled
// text starts with, so the stack and the memo can stay plain IValues.
const std::string kGlobal = "\x01global:";

IValue make_global(const std::string& name) { return IValue(kGlobal + name); }
bool is_global(const IValue& v, std::string* name) {
  if (!v.isString() || v.toStringRef().compare(0, kGlobal.size(), kGlobal) != 0) return false;
  *name = v.toStringRef().substr(kGlobal.size());
  return true;
}

c10::optional<at::ScalarType> storage_dtype(const std::string& global) {
  static const std::map<std::string, at::ScalarType> types = {
      {"torch.FloatStorage", at::kFloat},   {"torch.DoubleStorage", at::kDouble},
      {"torch.HalfStorage", at::kHalf},     {"torch.BFloat16Storage", at::kBFloat16},
      {"torch.LongStorage", at::kLong},     {"torch.IntStorage", at::kInt},
      {"torch.ShortStorage", at::kShort},   {"torch.CharStorage", at::kChar},
      {"torch.ByteStorage", at::kByte},     {"torch.BoolStorage", at::kBool},
      {"torch.ComplexFloatStorage", at::kComplexFloat},
      {"torch.ComplexDoubleStorage", at::kComplexDouble}};
  auto it = types.find(global);
  if (it == types.end()) return c10::nullopt;
  return it->second;
}

class BufferAdapter : public caffe2::serialize::ReadAdapterInterface {
 public:
  BufferAdapter(const void* data, size_t size) : data_(static_cast<const char*>(data)), size_(size) {}
  size_t size() const override { return size_; }
  size_t read(uint64_t pos, void* buf, size_t n, const char* /*what*/) const override {
    if (pos >= size_) return 0;
    n = std::min<size_t>(n, size_ - pos);
    std::memcpy(buf, data_ + pos, n);
    return n;
  }

 private:
  const char* data_;
  size_t size_;
};

class Unpickler {
 public:
  Unpickler(caffe2::serialize::PyTorchStreamReader& zip, const ZipDirectory& directory, const char* data,
            size_t size, bool read_tensor_data)
      : zip_(zip), directory_(directory), p_(data), end_(data + size), read_tensor_data_(read_tensor_data) {}

  TorchFile run() {
    while (true) {
      char op = byte();
      if (op == '.') break;  // STOP
      step(op);
    }
    if (stack_.size() != 1) fail("the pickle does not end with exactly one value");
    TorchFile out;
    out.value = normalize(stack_.back(), 0);
    out.unknown = std::move(unknown_);
    return out;
  }

 private:
  [[noreturn]] static void fail(const std::string& what) { throw Error(VOLT_ERROR_DATA_LOSS, what); }

  const char* take(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) fail("the pickle data is truncated");
    const char* at = p_;
    p_ += n;
    return at;
  }
  char byte() { return *take(1); }
  template <class T>
  T le() {  // little-endian unsigned
    const unsigned char* b = reinterpret_cast<const unsigned char*>(take(sizeof(T)));
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) v |= static_cast<T>(b[i]) << (8 * i);
    return v;
  }
  std::string line() {
    const void* nl = std::memchr(p_, '\n', static_cast<size_t>(end_ - p_));
    if (nl == nullptr) fail("the pickle data is truncated");
    std::string s(p_, static_cast<const char*>(nl));
    p_ = static_cast<const char*>(nl) + 1;
    return s;
  }
  std::string text(size_t n) {
    const char* at = take(n);
    return std::string(at, n);
  }

  IValue pop() {
    if (stack_.size() <= floor()) fail("the pickle stack underflows");
    IValue v = std::move(stack_.back());
    stack_.pop_back();
    return v;
  }
  IValue& top() {
    if (stack_.size() <= floor()) fail("the pickle stack underflows");
    return stack_.back();
  }
  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  // Everything above the last MARK, which is removed.
  std::vector<IValue> pop_mark() {
    if (marks_.empty()) fail("the pickle has no MARK where one is needed");
    size_t at = marks_.back();
    marks_.pop_back();
    std::vector<IValue> items(std::make_move_iterator(stack_.begin() + static_cast<long>(at)),
                              std::make_move_iterator(stack_.end()));
    stack_.resize(at);
    return items;
  }

  static IValue new_dict() { return c10::impl::GenericDict(c10::AnyType::get(), c10::AnyType::get()); }
  static IValue new_list() { return c10::impl::GenericList(c10::AnyType::get()); }

  // The nesting of every container built so far: a hostile pickle fails before it builds a
  // structure deep enough that c10's recursive destructors would exhaust the stack.
  static bool is_container(const IValue& v) { return v.isList() || v.isGenericDict() || v.isTuple(); }
  int depth_of(const IValue& v) const {
    if (!is_container(v)) return 0;
    auto it = depth_.find(v.internalToPointer());
    return it == depth_.end() ? 1 : it->second;
  }
  int deepest(const std::vector<IValue>& items) const {
    int d = 0;
    for (const auto& v : items) d = std::max(d, depth_of(v));
    return d;
  }
  void note_depth(const IValue& container, int depth) {
    if (!is_container(container)) return;
    if (depth > kMaxPickleDepth)
      fail("the pickle nests deeper than " + std::to_string(kMaxPickleDepth) + " containers");
    int& d = depth_[container.internalToPointer()];
    d = std::max(d, depth);
  }
  IValue tuple_of(std::vector<IValue> items) {
    int d = 1 + deepest(items);
    IValue t = c10::ivalue::Tuple::create(std::move(items));
    note_depth(t, d);
    return t;
  }

  void set_items(IValue& target, const std::vector<IValue>& items) {
    if (items.size() % 2 != 0) fail("SETITEMS with an odd number of items");
    if (target.isNone()) return;  // an object of an unknown class: its content is dropped
    if (!target.isGenericDict()) fail("SETITEMS on a value that is not a dict");
    note_depth(target, 1 + deepest(items));
    auto dict = target.toGenericDict();
    for (size_t i = 0; i < items.size(); i += 2) dict.insert_or_assign(items[i], items[i + 1]);
  }
  void append(IValue& target, std::vector<IValue> items) {
    if (target.isNone()) return;
    if (!target.isList()) fail("APPEND on a value that is not a list");
    note_depth(target, 1 + deepest(items));
    auto list = target.toList();
    for (auto& v : items) list.push_back(std::move(v));
  }

  void step(char op) {
    switch (static_cast<unsigned char>(op)) {
      case 0x80: byte(); break;            // PROTO
      case 0x95: take(8); break;           // FRAME (protocol 4): framing only
      case '(': marks_.push_back(stack_.size()); break;
      case '0': pop(); break;              // POP
      case '1': pop_mark(); break;         // POP_MARK
      case '2': stack_.push_back(top()); break;  // DUP
      case 'N': stack_.emplace_back(); break;
      case 0x88: stack_.emplace_back(true); break;
      case 0x89: stack_.emplace_back(false); break;
      case 'K': stack_.emplace_back(static_cast<int64_t>(le<uint8_t>())); break;
      case 'M': stack_.emplace_back(static_cast<int64_t>(le<uint16_t>())); break;
      case 'J': stack_.emplace_back(static_cast<int64_t>(static_cast<int32_t>(le<uint32_t>()))); break;
      case 0x8a: long_int(le<uint8_t>()); break;   // LONG1
      case 0x8b: long_int(le<uint32_t>()); break;  // LONG4
      case 'G': {                                  // BINFLOAT, big-endian
        const unsigned char* b = reinterpret_cast<const unsigned char*>(take(8));
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | b[i];
        double d;
        std::memcpy(&d, &bits, sizeof d);
        stack_.emplace_back(d);
        break;
      }
      case 'X': case 'T': case 'B': stack_.emplace_back(text(le<uint32_t>())); break;
      case 0x8c: case 'U': case 'C': stack_.emplace_back(text(le<uint8_t>())); break;
      case 0x8d: case 0x8e: stack_.emplace_back(text(le<uint64_t>())); break;
      case '}': stack_.push_back(new_dict()); break;
      case ']': stack_.push_back(new_list()); break;
      case ')': stack_.emplace_back(c10::ivalue::Tuple::create(std::vector<IValue>{})); break;
      case 't': stack_.push_back(tuple_of(pop_mark())); break;
      case 0x85: case 0x86: case 0x87: {   // TUPLE1..3
        size_t n = static_cast<unsigned char>(op) - 0x84;
        std::vector<IValue> items(n);
        for (size_t i = n; i-- > 0;) items[i] = pop();
        stack_.push_back(tuple_of(std::move(items)));
        break;
      }
      case 'l': {                          // LIST
        IValue list = new_list();
        append(list, pop_mark());
        stack_.push_back(list);
        break;
      }
      case 'd': {                          // DICT
        IValue dict = new_dict();
        set_items(dict, pop_mark());
        stack_.push_back(dict);
        break;
      }
      case 'a': { IValue v = pop(); append(top(), {v}); break; }
      case 'e': { auto items = pop_mark(); append(top(), std::move(items)); break; }
      case 's': { IValue v = pop(); IValue k = pop(); set_items(top(), {k, v}); break; }
      case 'u': { auto items = pop_mark(); set_items(top(), items); break; }
      case 'q': memo_[le<uint8_t>()] = top(); break;   // BINPUT
      case 'r': memo_[le<uint32_t>()] = top(); break;  // LONG_BINPUT
      case 0x94: memo_[memo_.size()] = top(); break;   // MEMOIZE
      case 'h': get(le<uint8_t>()); break;             // BINGET
      case 'j': get(le<uint32_t>()); break;            // LONG_BINGET
      case 'c': {                                      // GLOBAL
        std::string module = line();
        stack_.push_back(make_global(module + "." + line()));
        break;
      }
      case 0x93: {                                     // STACK_GLOBAL
        IValue name = pop(), module = pop();
        if (!name.isString() || !module.isString()) fail("STACK_GLOBAL without strings");
        stack_.push_back(make_global(module.toStringRef() + "." + name.toStringRef()));
        break;
      }
      case 'R': case 0x81: {                           // REDUCE, NEWOBJ
        IValue args = pop();
        IValue callable = pop();
        int d = 1 + depth_of(args);
        stack_.push_back(call(callable, args));
        note_depth(stack_.back(), d);
        break;
      }
      case 'b': pop(); break;  // BUILD: object state (OrderedDict's _metadata) is not needed
      case 'Q': stack_.push_back(persistent(pop())); break;  // BINPERSID
      default: {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(op));
        fail(std::string("unsupported pickle opcode ") + hex);
      }
    }
  }

  void long_int(size_t n) {
    if (n > 8) fail("an integer in the pickle does not fit in 64 bits");
    const unsigned char* b = reinterpret_cast<const unsigned char*>(take(n));
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= static_cast<uint64_t>(b[i]) << (8 * i);
    if (n > 0 && n < 8 && (b[n - 1] & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign-extend
    stack_.emplace_back(static_cast<int64_t>(v));
  }

  void get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) fail("the pickle refers to a memo entry that does not exist");
    stack_.push_back(it->second);
  }

  IValue call(const IValue& callable, const IValue& args_v) {
    std::string name;
    if (!is_global(callable, &name)) fail("the pickle calls something that is not a class");
    if (!args_v.isTuple()) fail("call arguments are not a tuple");
    std::vector<IValue> args = args_v.toTupleRef().elements().vec();
    auto arg = [&](size_t i) -> const IValue& {
      if (i >= args.size()) fail(name + " called with too few arguments");
      return args[i];
    };
    if (name == "collections.OrderedDict") return new_dict();
    if (name == "torch._utils._rebuild_tensor_v2" || name == "torch._utils._rebuild_tensor")
      return rebuild_tensor(arg(0), arg(1), arg(2), arg(3));
    if (name == "torch._utils._rebuild_parameter" ||
        name == "torch._utils._rebuild_parameter_with_state" ||
        name == "torch.jit._pickle.restore_type_tag" || name == "torch.Size" ||
        name.rfind("torch.jit._pickle.build_", 0) == 0)
      return arg(0);  // the data itself; type tags and Parameter wrappers are not needed
    unknown_.insert(name);
    return IValue();
  }

  // ('storage', <storage class>, key, location, numel) -> a 1-D tensor over the whole record.
  IValue persistent(const IValue& pid) {
    if (!pid.isTuple() || pid.toTupleRef().elements().size() < 5)
      fail("unsupported persistent id (not a torch.save storage)");
    const auto& e = pid.toTupleRef().elements();
    std::string cls;
    if (!e[0].isString() || e[0].toStringRef() != "storage" || !is_global(e[1], &cls) ||
        !e[2].isString() || !e[4].isInt())
      fail("unsupported persistent id (not a torch.save storage)");
    auto dtype = storage_dtype(cls);
    if (!dtype) fail("unsupported storage type " + cls);
    const std::string& key = e[2].toStringRef();
    auto cached = storages_.find(key);
    if (cached != storages_.end()) return cached->second;
    int64_t numel = e[4].toInt();
    std::string record = "data/" + key;
    if (numel < 0 || !zip_.hasRecord(record)) fail("tensor data record " + record + " is missing");
    if (!read_tensor_data_) {
      // Shapes and dtypes only: the storage stands in on the meta device, nothing is read.
      at::Tensor t = at::empty({numel}, at::TensorOptions().dtype(*dtype).device(at::kMeta));
      storages_.emplace(key, t);
      return t;
    }
    auto [ptr, bytes] = zip_.getRecord(record);
    directory_.verify(record, ptr.get(), bytes);
    size_t need = static_cast<size_t>(numel) * c10::elementSize(*dtype);
    if (bytes < need) fail("tensor data record " + record + " is shorter than its tensor");
    c10::Storage storage(c10::Storage::use_byte_size_t(), static_cast<int64_t>(bytes),
                         std::move(ptr), nullptr, false);
    at::Tensor t = at::empty({0}, at::TensorOptions().dtype(*dtype)).set_(storage, 0, {numel}, {1});
    storages_.emplace(key, t);
    return t;
  }

  IValue rebuild_tensor(const IValue& storage, const IValue& offset_v, const IValue& size_v,
                        const IValue& stride_v) {
    if (!storage.isTensor() || !offset_v.isInt() || !size_v.isTuple() || !stride_v.isTuple())
      fail("malformed tensor in the pickle");
    auto ints = [&](const IValue& t) {
      std::vector<int64_t> out;
      for (const auto& x : t.toTupleRef().elements()) {
        if (!x.isInt()) fail("malformed tensor shape in the pickle");
        out.push_back(x.toInt());
      }
      return out;
    };
    std::vector<int64_t> size = ints(size_v), stride = ints(stride_v);
    int64_t offset = offset_v.toInt();
    if (size.size() != stride.size()) fail("malformed tensor shape in the pickle");
    // The furthest element must lie inside the storage: a corrupt shape must not read past it.
    int64_t last = offset;
    bool empty = false;
    for (size_t i = 0; i < size.size(); ++i) {
      if (size[i] < 0 || stride[i] < 0) fail("malformed tensor shape in the pickle");
      if (size[i] == 0) empty = true;
      else last += (size[i] - 1) * stride[i];
    }
    const at::Tensor& s = storage.toTensor();
    if (offset < 0 || (!empty && last >= s.numel()))
      fail("a tensor extends past the end of its data record");
    return s.as_strided(size, stride, offset);
  }

  // Dicts get str or int keys where all keys agree, as TorchScript types require; nesting is
  // capped so a hostile file cannot exhaust the stack.
  IValue normalize(const IValue& v, int depth) {
    if (depth > kMaxPickleDepth) fail("the pickle nests too deeply");
    // Shared references make a DAG whose copy can be exponentially larger than the file.
    if (++normalized_ > kMaxPickleValues)
      fail("the pickle expands to more than " + std::to_string(kMaxPickleValues) +
           " values (shared references?)");
    if (v.isGenericDict()) {
      bool all_str = true, all_int = true;
      for (const auto& e : v.toGenericDict()) {
        all_str = all_str && e.key().isString();
        all_int = all_int && e.key().isInt();
      }
      c10::TypePtr key = c10::AnyType::get();
      if (all_str) key = c10::StringType::get();
      else if (all_int) key = c10::IntType::get();
      c10::impl::GenericDict out(key, c10::AnyType::get());
      for (const auto& e : v.toGenericDict()) out.insert(e.key(), normalize(e.value(), depth + 1));
      return out;
    }
    if (v.isList()) {
      c10::impl::GenericList out(c10::AnyType::get());
      for (const IValue e : v.toListRef()) out.push_back(normalize(e, depth + 1));
      return out;
    }
    if (v.isTuple()) {
      std::vector<IValue> items;
      for (const auto& e : v.toTupleRef().elements()) items.push_back(normalize(e, depth + 1));
      return c10::ivalue::Tuple::create(std::move(items));
    }
    std::string name;
    if (is_global(v, &name)) {
      unknown_.insert(name);
      return IValue();
    }
    return v;
  }

  caffe2::serialize::PyTorchStreamReader& zip_;
  const ZipDirectory& directory_;
  const char* p_;
  const char* end_;
  std::vector<IValue> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<const void*, int> depth_;
  size_t normalized_ = 0;
  std::map<uint64_t, IValue> memo_;
  std::map<std::string, at::Tensor> storages_;
  std::set<std::string> unknown_;
  bool read_tensor_data_;
};

TorchFile read_archive(caffe2::serialize::PyTorchStreamReader& zip, const ZipDirectory& directory,
                       bool read_tensor_data) {
  if (!zip.hasRecord("data.pkl"))
    throw Error(VOLT_ERROR_DATA_LOSS, "the archive has no data.pkl: not written by torch.save");
  auto [ptr, size] = zip.getRecord("data.pkl");
  directory.verify("data.pkl", ptr.get(), size);
  Unpickler u(zip, directory, static_cast<const char*>(ptr.get()), size, read_tensor_data);
  return u.run();
}

// c10 errors carry a backtrace after the first line; the first line says what is wrong.
std::string first_line(const c10::Error& e) {
  std::string m = e.what_without_backtrace();
  return m.substr(0, m.find('\n'));
}

using Source = std::shared_ptr<caffe2::serialize::ReadAdapterInterface>;

template <class Open>
TorchFile read_from(Open open, bool read_tensor_data) {
  try {
    const Source in = open();
    check_not_legacy_torch_save(*in);
    ZipDirectory directory(in->size(), [&in](uint64_t pos, void* buf, size_t n) {
      return in->read(pos, buf, n, "zip directory");
    });
    check_what_the_torch_reader_checks(directory);
    caffe2::serialize::PyTorchStreamReader zip(in);
    return read_archive(zip, directory, read_tensor_data);
  } catch (const c10::Error& e) {
    throw Error(VOLT_ERROR_DATA_LOSS,
                "not a readable torch.save file (truncated or corrupt?): " + first_line(e));
  }
}

}  // namespace

TorchFile read_torch_file(const std::filesystem::path& path) {
  return read_from([&]() -> Source { return std::make_shared<caffe2::serialize::FileAdapter>(path.string()); },
                   true);
}

TorchFile read_torch_file_structure(const std::filesystem::path& path) {
  return read_from([&]() -> Source { return std::make_shared<caffe2::serialize::FileAdapter>(path.string()); },
                   /*read_tensor_data=*/false);
}

TorchFile read_torch_bytes(const void* data, size_t size) {
  return read_from([&]() -> Source { return std::make_shared<BufferAdapter>(data, size); }, true);
}

}  // namespace volt::host
