// SHA-256 (FIPS 180-4, section 6.2), for the plugin allow-list: a library is identified by the
// digest of its bytes, as `sha256sum` prints it. Written here to avoid a crypto dependency.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace volt::host {

// The digest as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

// The digest of a file's contents, read in chunks. Throws volt::Error naming the file when it
// cannot be opened or read.
std::string sha256_hex_of_file(const std::filesystem::path& file);

}  // namespace volt::host
