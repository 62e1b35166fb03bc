#include "tomolive/daemon/viewer_location.hpp"

#include <system_error>

namespace tomolive::daemon {

std::filesystem::path viewer_dir_for(const std::filesystem::path& executable,
                                     const std::filesystem::path& installed_relative,
                                     const std::filesystem::path& source_dir) {
  const std::filesystem::path installed = (executable.parent_path() / installed_relative).lexically_normal();
  std::error_code error;
  if (!executable.empty() && std::filesystem::is_directory(installed, error)) return installed;
  return source_dir.lexically_normal();
}

std::filesystem::path default_viewer_dir() {
  std::error_code error;
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  // TOMOLIVE_INSTALLED_VIEWER_DIR: the viewer's install folder relative to the binaries' (e.g.
  // ../share/tomolive/viewer); TOMOLIVE_SOURCE_VIEWER_DIR: the source tree's viewer/ (daemon/CMakeLists.txt).
  return viewer_dir_for(error ? std::filesystem::path() : executable, TOMOLIVE_INSTALLED_VIEWER_DIR,
                        TOMOLIVE_SOURCE_VIEWER_DIR);
}

}  // namespace tomolive::daemon
