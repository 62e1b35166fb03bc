// ViewerFiles: maps an HTTP request target to a file of the viewer folder, and never to anything outside it.
// The target's query is ignored, percent-escapes are decoded, "/" means index.html; a path with a ".." segment, a
// NUL or backslash, or one that resolves (through symbolic links) outside the folder is refused. Thread-safe (const).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <variant>

namespace tomolive::daemon {

class ViewerFiles {
 public:
  enum class Refusal { forbidden, not_found };  // HTTP 403 and 404
  struct Found {
    std::filesystem::path path;  // canonical, inside the root
    std::string content_type;
  };

  // root need not exist (every request is then not_found; the daemon logs this at start).
  explicit ViewerFiles(const std::filesystem::path& root);

  std::variant<Found, Refusal> resolve(std::string_view target) const;
  const std::filesystem::path& root() const { return root_; }
  bool root_exists() const;

 private:
  std::filesystem::path root_;  // canonical when it exists
};

// The Content-Type for a file name's extension (text/html for .html, ...; application/octet-stream otherwise).
std::string content_type_for(const std::filesystem::path& path);

}  // namespace tomolive::daemon
