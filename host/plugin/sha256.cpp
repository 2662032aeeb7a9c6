#include "plugin/sha256.hpp"

#include <volt/sdk/core.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace volt::host {
namespace {

// FIPS 180-4, 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first
// 64 primes.
constexpr std::array<uint32_t, 64> kRoundConstants = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

// FIPS 180-4, 5.3.3: the first 32 bits of the fractional parts of the square roots of the
// first 8 primes.
constexpr std::array<uint32_t, 8> kInitialHash = {0x6a09e667, 0xbb67ae85, 0x3c6ef372,
                                                  0xa54ff53a, 0x510e527f, 0x9b05688c,
                                                  0x1f83d9ab, 0x5be0cd19};

constexpr uint32_t rotr(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

// Streaming hash: update() any number of times, then hex() once.
class Sha256 {
 public:
  void update(std::string_view bytes) {
    total_bytes_ += bytes.size();
    while (!bytes.empty()) {
      const size_t take = std::min(bytes.size(), block_.size() - used_);
      std::memcpy(block_.data() + used_, bytes.data(), take);
      used_ += take;
      bytes.remove_prefix(take);
      if (used_ == block_.size()) {
        compress();
        used_ = 0;
      }
    }
  }

  // Padding (5.1.1): a 1 bit, zeros up to 56 bytes mod 64, then the message length in bits as
  // a 64-bit big-endian number.
  std::string hex() {
    const uint64_t bit_length = total_bytes_ * 8;
    block_[used_++] = 0x80;
    if (used_ > 56) {
      std::fill(block_.begin() + used_, block_.end(), 0);
      compress();
      used_ = 0;
    }
    std::fill(block_.begin() + used_, block_.begin() + 56, 0);
    for (int i = 0; i < 8; ++i) block_[56 + i] = static_cast<uint8_t>(bit_length >> (56 - 8 * i));
    compress();

    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(64);
    for (uint32_t word : hash_)
      for (int shift = 28; shift >= 0; shift -= 4) out += kDigits[(word >> shift) & 0xf];
    return out;
  }

 private:
  // One 512-bit block (6.2.2).
  void compress() {
    uint32_t w[64];
    for (int t = 0; t < 16; ++t)
      w[t] = uint32_t{block_[4 * t]} << 24 | uint32_t{block_[4 * t + 1]} << 16 |
             uint32_t{block_[4 * t + 2]} << 8 | uint32_t{block_[4 * t + 3]};
    for (int t = 16; t < 64; ++t) {
      const uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
      const uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
      w[t] = s1 + w[t - 7] + s0 + w[t - 16];
    }
    uint32_t a = hash_[0], b = hash_[1], c = hash_[2], d = hash_[3];
    uint32_t e = hash_[4], f = hash_[5], g = hash_[6], h = hash_[7];
    for (int t = 0; t < 64; ++t) {
      const uint32_t sigma1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const uint32_t choose = (e & f) ^ (~e & g);
      const uint32_t t1 = h + sigma1 + choose + kRoundConstants[t] + w[t];
      const uint32_t sigma0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
      const uint32_t t2 = sigma0 + majority;
      h = g;
      g = f;
      f = e;
      e = d + t1;
      d = c;
      c = b;
      b = a;
      a = t1 + t2;
    }
    hash_[0] += a;
    hash_[1] += b;
    hash_[2] += c;
    hash_[3] += d;
    hash_[4] += e;
    hash_[5] += f;
    hash_[6] += g;
    hash_[7] += h;
  }

  std::array<uint32_t, 8> hash_ = kInitialHash;
  std::array<uint8_t, 64> block_{};
  size_t used_ = 0;  // bytes of block_ filled
  uint64_t total_bytes_ = 0;
};

}  // namespace

std::string sha256_hex(std::string_view bytes) {
  Sha256 hash;
  hash.update(bytes);
  return hash.hex();
}

std::string sha256_hex_of_file(const std::filesystem::path& file) {
  auto fail = [&file](int error) {
    throw volt::Error(error == ENOENT ? VOLT_ERROR_NOT_FOUND : VOLT_ERROR_UNAVAILABLE,
                      "cannot read " + file.string() + " to compute its SHA-256: " +
                          std::strerror(error));
  };
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> in(std::fopen(file.c_str(), "rb"),
                                                     &std::fclose);
  if (!in) fail(errno);
  Sha256 hash;
  std::vector<char> chunk(1 << 16);
  for (;;) {
    const size_t n = std::fread(chunk.data(), 1, chunk.size(), in.get());
    hash.update(std::string_view(chunk.data(), n));
    if (n < chunk.size()) {
      if (std::ferror(in.get())) fail(errno);  // e.g. EISDIR for a folder, EIO
      break;
    }
  }
  return hash.hex();
}

}  // namespace volt::host
