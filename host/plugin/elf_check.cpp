#include "plugin/elf_check.hpp"

#include <elf.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

namespace volt::host {
namespace {

#if defined(__x86_64__)
constexpr uint16_t kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kHostMachine = EM_AARCH64;
#elif defined(__powerpc64__)
constexpr uint16_t kHostMachine = EM_PPC64;
#else
constexpr uint16_t kHostMachine = EM_NONE;  // not checked
#endif

constexpr uint16_t kMaxProgramHeaders = 1024;

// `read(offset, n, out)` fills out with the n bytes at offset, or returns false.
template <class ReadAt>
std::optional<std::string> check_elf(uintmax_t size, ReadAt read) {
  Elf64_Ehdr header{};
  if (size < sizeof(header) || !read(0, sizeof(header), &header))
    return "not a shared library: " + std::to_string(size) + " bytes, shorter than an ELF header";
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0)
    return std::string("not a shared library (no ELF signature)");
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB)
    return std::string("an ELF file for another kind of machine (not 64-bit little-endian)");
  if (header.e_type != ET_DYN) return std::string("an ELF file that is not a shared library");
  if (kHostMachine != EM_NONE && header.e_machine != kHostMachine)
    return "a library for another architecture (ELF machine " + std::to_string(header.e_machine) +
           ", this host is " + std::to_string(kHostMachine) + ")";
  if (header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phnum == 0 ||
      header.e_phnum > kMaxProgramHeaders)
    return std::string("a damaged ELF file (bad program header table)");
  const uintmax_t table_end =
      static_cast<uintmax_t>(header.e_phoff) + uintmax_t{header.e_phnum} * sizeof(Elf64_Phdr);
  if (header.e_phoff < sizeof(header) || header.e_phoff > size || table_end > size)
    return "a truncated ELF file: its program headers end at byte " + std::to_string(table_end) +
           ", the file has " + std::to_string(size) + " (a copy still in progress?)";
  std::vector<Elf64_Phdr> segments(header.e_phnum);
  if (!read(header.e_phoff, segments.size() * sizeof(Elf64_Phdr), segments.data()))
    return std::string("cannot read the program headers");
  for (const auto& s : segments) {
    if (s.p_type != PT_LOAD && s.p_type != PT_DYNAMIC) continue;
    if (s.p_offset > size || s.p_filesz > size - s.p_offset)
      return "a truncated ELF file: a loadable segment ends at byte " +
             std::to_string(static_cast<uintmax_t>(s.p_offset) + s.p_filesz) + ", the file has " +
             std::to_string(size) + " (a copy still in progress?)";
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> elf_problem(const std::filesystem::path& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec) return "cannot read the file: " + ec.message();
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::string("cannot open the file");
  return check_elf(size, [&](uintmax_t offset, size_t n, void* out) {
    in.seekg(static_cast<std::streamoff>(offset));
    return static_cast<bool>(in.read(static_cast<char*>(out), static_cast<std::streamsize>(n)));
  });
}

std::optional<std::string> elf_problem_in(const void* data, size_t size) {
  return check_elf(size, [&](uintmax_t offset, size_t n, void* out) {
    if (offset > size || n > size - offset) return false;
    std::memcpy(out, static_cast<const char*>(data) + offset, n);
    return true;
  });
}

}  // namespace volt::host
