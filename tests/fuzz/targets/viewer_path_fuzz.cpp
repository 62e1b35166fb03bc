// Fuzzes the mapping of an HTTP request target to a viewer file (ViewerFiles::resolve): any target, never a crash,
// and a file found is a regular file inside the viewer folder. The folder is a fixture made once per process in
// the temporary directory: index.html, app.js, a sub-folder, and symbolic links that point inside and outside it.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <variant>

#include "fuzz_require.hpp"
#include "tomolive/daemon/viewer_files.hpp"

namespace fs = std::filesystem;
using tomolive::daemon::ViewerFiles;
using tomolive::fuzz::require;

namespace {

// The fixture, removed when the process exits normally.
class ViewerFolder {
 public:
  ViewerFolder() : base_(fs::temp_directory_path() / ("tomolive_viewer_path_fuzz." + std::to_string(getpid()))) {
    fs::remove_all(base_);
    fs::create_directories(root() / "sub");
    std::ofstream(root() / "index.html") << "<html></html>";
    std::ofstream(root() / "app.js") << "1";
    std::ofstream(root() / "sub" / "page.html") << "<html></html>";
    std::ofstream(base_ / "secret.txt") << "outside";
    fs::create_symlink(base_ / "secret.txt", root() / "escape.txt");
    fs::create_directory_symlink(base_, root() / "up");
    fs::create_symlink(root() / "app.js", root() / "alias.js");
  }
  ~ViewerFolder() { fs::remove_all(base_); }
  ViewerFolder(const ViewerFolder&) = delete;
  ViewerFolder& operator=(const ViewerFolder&) = delete;

  fs::path root() const { return base_ / "viewer"; }

 private:
  fs::path base_;
};

bool inside(const fs::path& path, const fs::path& root) {
  const std::string p = path.string();
  const std::string r = root.string() + "/";
  return p.compare(0, r.size(), r) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ViewerFolder folder;
  static const ViewerFiles files(folder.root());
  const auto resolved = files.resolve(std::string_view(reinterpret_cast<const char*>(data), size));
  if (const auto* found = std::get_if<ViewerFiles::Found>(&resolved)) {
    require(inside(found->path, files.root()), "a file found lies inside the viewer folder");
    require(fs::is_regular_file(found->path), "a file found is a regular file");
    require(!found->content_type.empty(), "a file found has a content type");
  }
  return 0;
}
