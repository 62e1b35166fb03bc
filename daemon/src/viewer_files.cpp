#include "tomolive/daemon/viewer_files.hpp"

#include <algorithm>
#include <optional>
#include <system_error>
#include <utility>

#include "hex_digit.hpp"

namespace tomolive::daemon {
namespace {

// The target's path with percent-escapes decoded; nullopt for a malformed escape.
std::optional<std::string> decode_path(std::string_view target) {
  target = target.substr(0, target.find_first_of("?#"));
  std::string out;
  for (std::size_t i = 0; i < target.size(); ++i) {
    if (target[i] != '%') {
      out.push_back(target[i]);
      continue;
    }
    if (i + 2 >= target.size()) return std::nullopt;
    const int hi = hex_digit_value(target[i + 1]);
    const int lo = hex_digit_value(target[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool inside(const std::filesystem::path& path, const std::filesystem::path& root) {
  return std::mismatch(root.begin(), root.end(), path.begin(), path.end()).first == root.end();
}

}  // namespace

ViewerFiles::ViewerFiles(const std::filesystem::path& root) {
  std::error_code error;
  root_ = std::filesystem::canonical(root, error);
  if (error) root_ = std::filesystem::absolute(root, error);
}

bool ViewerFiles::root_exists() const {
  std::error_code error;
  return std::filesystem::is_directory(root_, error);
}

std::variant<ViewerFiles::Found, ViewerFiles::Refusal> ViewerFiles::resolve(std::string_view target) const {
  const std::optional<std::string> decoded = decode_path(target);
  if (!decoded || decoded->empty() || decoded->front() != '/') return Refusal::forbidden;
  if (decoded->find('\0') != std::string::npos || decoded->find('\\') != std::string::npos) {
    return Refusal::forbidden;
  }
  std::filesystem::path relative;
  std::size_t start = 1;
  while (start <= decoded->size()) {
    const std::size_t end = std::min(decoded->find('/', start), decoded->size());
    const std::string_view segment = std::string_view(*decoded).substr(start, end - start);
    if (segment == "..") return Refusal::forbidden;
    if (!segment.empty() && segment != ".") relative /= std::string(segment);
    start = end + 1;
  }
  if (relative.empty() || decoded->back() == '/') relative /= "index.html";

  std::error_code error;
  const std::filesystem::path path = std::filesystem::canonical(root_ / relative, error);
  if (error) return Refusal::not_found;
  if (!inside(path, root_)) return Refusal::forbidden;  // a symbolic link out of the folder
  if (!std::filesystem::is_regular_file(path, error)) return Refusal::not_found;
  return Found{path, content_type_for(path)};
}

std::string content_type_for(const std::filesystem::path& path) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".md", "text/markdown; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
  };
  const std::string extension = path.extension().string();
  for (const auto& [ext, type] : kTypes) {
    if (extension == ext) return type;
  }
  return "application/octet-stream";
}

}  // namespace tomolive::daemon
