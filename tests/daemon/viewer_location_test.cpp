// Where tomolived finds the viewer without --viewer-dir: beside an installed binary (bin/../share/tomolive/viewer),
// else the source tree's viewer/ (a binary run from the build tree).
#include "tomolive/daemon/viewer_location.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace tomolive::daemon {
namespace {

namespace fs = std::filesystem;

class ViewerLocation : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("tomolive_viewer_location_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "usr/bin");
    fs::create_directories(root_ / "src/viewer");
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(ViewerLocation, AnInstalledBinaryFindsTheViewerBesideIt) {
  fs::create_directories(root_ / "usr/share/tomolive/viewer");
  EXPECT_EQ(viewer_dir_for(root_ / "usr/bin/tomolived", "../share/tomolive/viewer", root_ / "src/viewer"),
            root_ / "usr/share/tomolive/viewer");
}

TEST_F(ViewerLocation, ABinaryWithoutAnInstalledViewerUsesTheSourceTree) {
  EXPECT_EQ(viewer_dir_for(root_ / "usr/bin/tomolived", "../share/tomolive/viewer", root_ / "src/viewer"),
            root_ / "src/viewer");
  EXPECT_EQ(viewer_dir_for("", "../share/tomolive/viewer", root_ / "src/viewer"), root_ / "src/viewer")
      << "no /proc/self/exe";
}

TEST_F(ViewerLocation, ThisTestBinaryRunsFromTheBuildTreeAndGetsTheSourceViewer) {
  const fs::path viewer = default_viewer_dir();
  EXPECT_TRUE(fs::exists(viewer / "index.html")) << viewer;
}

}  // namespace
}  // namespace tomolive::daemon
