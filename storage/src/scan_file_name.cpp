#include "tomolive/storage/scan_file_name.hpp"

#include <cstdio>

namespace tomolive::storage {

std::string scan_file_stem(std::uint64_t scan_id, std::string_view scan_name) {
  char id[32];
  std::snprintf(id, sizeof id, "scan_%06llu", static_cast<unsigned long long>(scan_id));
  std::string name;
  for (const char c : scan_name.substr(0, 64)) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                       c == '_' || c == '-';
    name += plain ? c : '_';
  }
  if (name.find_first_not_of('.') == std::string::npos) return id;
  return std::string(id) + "_" + name;
}

}  // namespace tomolive::storage
