// Just enough of protobuf's wire format to write TensorBoard's Event, Summary and hparams
// messages (tensorflow/core/util/event.proto, summary.proto, tensorboard/plugins/hparams/
// api.proto + plugin_data.proto, google/protobuf/struct.proto). Fields are written in the
// order given; a nested message is built first and added as bytes.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace volt::loggers::tensorboard {

class ProtoWriter {
 public:
  ProtoWriter& varint(uint32_t field, uint64_t v) {
    key(field, 0);
    raw_varint(v);
    return *this;
  }
  ProtoWriter& double_(uint32_t field, double v) {  // wire type 1: fixed64
    key(field, 1);
    char b[8];
    std::memcpy(b, &v, 8);  // little-endian hosts only (x86-64, aarch64)
    out_.append(b, 8);
    return *this;
  }
  ProtoWriter& float_(uint32_t field, float v) {  // wire type 5: fixed32
    key(field, 5);
    char b[4];
    std::memcpy(b, &v, 4);
    out_.append(b, 4);
    return *this;
  }
  ProtoWriter& bytes(uint32_t field, const std::string& v) {  // wire type 2
    key(field, 2);
    raw_varint(v.size());
    out_ += v;
    return *this;
  }
  ProtoWriter& message(uint32_t field, const ProtoWriter& m) { return bytes(field, m.str()); }
  const std::string& str() const { return out_; }

 private:
  void key(uint32_t field, uint32_t wire) { raw_varint((static_cast<uint64_t>(field) << 3) | wire); }
  void raw_varint(uint64_t v) {
    while (v >= 0x80) {
      out_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    out_ += static_cast<char>(v);
  }
  std::string out_;
};

}  // namespace volt::loggers::tensorboard
