// Where the viewer's static files are when --viewer-dir is not given. An installed tomolived (cmake --install, the
// .deb) finds them relative to its own binary, <prefix>/bin/tomolived -> <prefix>/share/tomolive/viewer, wherever
// the prefix is (/usr, /opt/tomolive, a scratch root); a tomolived run from its build tree finds the source tree's
// viewer/ folder it was configured from.
#pragma once

#include <filesystem>

namespace tomolive::daemon {

// The rule: `executable`'s folder joined with `installed_relative` when that is a folder, else `source_dir`.
// The result is lexically normal (no "..").
std::filesystem::path viewer_dir_for(const std::filesystem::path& executable,
                                     const std::filesystem::path& installed_relative,
                                     const std::filesystem::path& source_dir);

// viewer_dir_for this process (/proc/self/exe), the install layout's relative path and the configured source tree.
std::filesystem::path default_viewer_dir();

}  // namespace tomolive::daemon
