// ViewerFiles (PROTOCOL.md 14.1, static files): request targets map to files of the viewer folder and never to
// anything outside it, whatever the encoding of the path; symbolic links out of the folder are refused.
#include "tomolive/daemon/viewer_files.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

namespace tomolive::daemon {
namespace {

namespace fs = std::filesystem;

// A fresh folder under the system's temporary directory, removed with everything in it when the guard goes.
class TempFolder {
 public:
  TempFolder() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("tomolive_viewer_files_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempFolder() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempFolder(const TempFolder&) = delete;
  TempFolder& operator=(const TempFolder&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void write_file(const fs::path& path, std::string_view text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// base/
//   viewer/            the root
//     index.html, app.js, my file.txt, a..b.txt, sub/index.html, sub/data.json, emptydir/
//     link_in -> app.js, link_out -> ../secret.txt, dir_out -> ../outside, dir_sibling -> ../viewer2
//   secret.txt, outside/secret.txt, viewer2/page.html
class ViewerFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = temp_.path() / "viewer";
    write_file(root_ / "index.html", "<html>root</html>");
    write_file(root_ / "app.js", "// app");
    write_file(root_ / "my file.txt", "spaces");
    write_file(root_ / "a..b.txt", "dots inside a name");
    write_file(root_ / "sub" / "index.html", "<html>sub</html>");
    write_file(root_ / "sub" / "data.json", "{}");
    fs::create_directories(root_ / "emptydir");
    write_file(temp_.path() / "secret.txt", "secret");
    write_file(temp_.path() / "outside" / "secret.txt", "secret");
    write_file(temp_.path() / "viewer2" / "page.html", "a sibling whose name starts like the root");
    fs::create_symlink("app.js", root_ / "link_in");
    fs::create_symlink("../secret.txt", root_ / "link_out");
    fs::create_directory_symlink("../outside", root_ / "dir_out");
    fs::create_directory_symlink("../viewer2", root_ / "dir_sibling");
  }

  // The file a target resolves to, relative to the root ("" when refused, with the refusal in `refusal`).
  ::testing::AssertionResult found(std::string_view target, const fs::path& expected) const {
    const ViewerFiles files(root_);
    const auto result = files.resolve(target);
    if (const auto* refusal = std::get_if<ViewerFiles::Refusal>(&result)) {
      return ::testing::AssertionFailure()
             << target << " was refused (" << (*refusal == ViewerFiles::Refusal::forbidden ? "forbidden" : "not_found")
             << "), expected " << expected;
    }
    const fs::path want = fs::canonical(root_ / expected);
    const fs::path& got = std::get<ViewerFiles::Found>(result).path;
    if (got != want) return ::testing::AssertionFailure() << target << " resolved to " << got << ", expected " << want;
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult refused(std::string_view target, ViewerFiles::Refusal expected) const {
    const ViewerFiles files(root_);
    const auto result = files.resolve(target);
    if (const auto* found_file = std::get_if<ViewerFiles::Found>(&result)) {
      return ::testing::AssertionFailure() << target << " was served: " << found_file->path;
    }
    const auto refusal = std::get<ViewerFiles::Refusal>(result);
    if (refusal != expected) {
      return ::testing::AssertionFailure()
             << target << " was refused as " << (refusal == ViewerFiles::Refusal::forbidden ? "forbidden" : "not_found")
             << ", expected " << (expected == ViewerFiles::Refusal::forbidden ? "forbidden" : "not_found");
    }
    return ::testing::AssertionSuccess();
  }
  ::testing::AssertionResult forbidden(std::string_view target) const {
    return refused(target, ViewerFiles::Refusal::forbidden);
  }
  ::testing::AssertionResult not_found(std::string_view target) const {
    return refused(target, ViewerFiles::Refusal::not_found);
  }

  TempFolder temp_;
  fs::path root_;
};

TEST_F(ViewerFilesTest, RootAndFolderPathsServeIndexHtml) {
  EXPECT_TRUE(found("/", "index.html"));
  EXPECT_TRUE(found("/sub/", "sub/index.html"));
  EXPECT_TRUE(found("/index.html", "index.html"));
  const ViewerFiles files(root_);
  const auto result = files.resolve("/");
  ASSERT_TRUE(std::holds_alternative<ViewerFiles::Found>(result));
  EXPECT_EQ(std::get<ViewerFiles::Found>(result).content_type, "text/html; charset=utf-8");
}

TEST_F(ViewerFilesTest, ServesFilesInsideTheFolder) {
  EXPECT_TRUE(found("/app.js", "app.js"));
  EXPECT_TRUE(found("/sub/data.json", "sub/data.json"));
  EXPECT_TRUE(found("/./app.js", "app.js"));
  EXPECT_TRUE(found("/a..b.txt", "a..b.txt"));  // ".." inside a name is not a parent segment
}

TEST_F(ViewerFilesTest, FoundPathIsCanonicalAndInsideTheRoot) {
  const ViewerFiles files(root_);
  EXPECT_TRUE(files.root_exists());
  EXPECT_EQ(files.root(), fs::canonical(root_));
  const auto result = files.resolve("/sub/data.json");
  ASSERT_TRUE(std::holds_alternative<ViewerFiles::Found>(result));
  const fs::path& path = std::get<ViewerFiles::Found>(result).path;
  EXPECT_EQ(path, fs::canonical(path));
  EXPECT_EQ(path.parent_path().parent_path(), files.root());
}

TEST_F(ViewerFilesTest, QueryAndFragmentAreIgnored) {
  EXPECT_TRUE(found("/app.js?v=3", "app.js"));
  EXPECT_TRUE(found("/?token=abc&x=%2e%2e", "index.html"));
  EXPECT_TRUE(found("/sub/?a=../../secret.txt", "sub/index.html"));
  EXPECT_TRUE(found("/app.js#top", "app.js"));
  EXPECT_TRUE(found("/app.js?x=1#frag", "app.js"));
  // An encoded '?' is part of the file name, not a query.
  EXPECT_TRUE(not_found("/app.js%3Fv=3"));
}

TEST_F(ViewerFilesTest, PercentEscapesAreDecoded) {
  EXPECT_TRUE(found("/my%20file.txt", "my file.txt"));
  EXPECT_TRUE(found("/%61pp.js", "app.js"));
  EXPECT_TRUE(found("/%61%70%70%2E%6a%73", "app.js"));
  EXPECT_TRUE(found("/sub%2Fdata.json", "sub/data.json"));  // an encoded slash is a slash, still inside
  EXPECT_TRUE(not_found("/my+file.txt"));                    // '+' is not a space in a path
}

TEST_F(ViewerFilesTest, ParentSegmentsAreForbidden) {
  EXPECT_TRUE(forbidden("/../secret.txt"));
  EXPECT_TRUE(forbidden("/.."));
  EXPECT_TRUE(forbidden("/../"));
  EXPECT_TRUE(forbidden("/sub/../index.html"));  // even when it would stay inside
  EXPECT_TRUE(forbidden("/sub/../../secret.txt"));
  EXPECT_TRUE(forbidden("/viewer/../../secret.txt"));
}

TEST_F(ViewerFilesTest, EncodedParentSegmentsAreForbidden) {
  EXPECT_TRUE(forbidden("/%2e%2e/secret.txt"));
  EXPECT_TRUE(forbidden("/%2E%2E/secret.txt"));
  EXPECT_TRUE(forbidden("/%2E%2E/"));
  EXPECT_TRUE(forbidden("/.%2e/secret.txt"));
  EXPECT_TRUE(forbidden("/%2e./secret.txt"));
  EXPECT_TRUE(forbidden("/sub%2f..%2f..%2fsecret.txt"));
  EXPECT_TRUE(forbidden("/%2f..%2fsecret.txt"));
  EXPECT_TRUE(forbidden("/..%2Fsecret.txt"));
}

TEST_F(ViewerFilesTest, BackslashesAreForbidden) {
  EXPECT_TRUE(forbidden("/..\\secret.txt"));
  EXPECT_TRUE(forbidden("/sub\\data.json"));
  EXPECT_TRUE(forbidden("/%5c..%5csecret.txt"));
  EXPECT_TRUE(forbidden("/%5C..%5Csecret.txt"));
}

TEST_F(ViewerFilesTest, NulIsForbidden) {
  EXPECT_TRUE(forbidden("/index.html%00"));
  EXPECT_TRUE(forbidden("/index.html%00.png"));
  EXPECT_TRUE(forbidden(std::string_view("/index.html\0.png", 16)));
}

TEST_F(ViewerFilesTest, MalformedEscapesAreForbidden) {
  EXPECT_TRUE(forbidden("/%zz"));
  EXPECT_TRUE(forbidden("/%4"));
  EXPECT_TRUE(forbidden("/%"));
  EXPECT_TRUE(forbidden("/app.js%"));
  EXPECT_TRUE(forbidden("/app%g1.js"));
  EXPECT_TRUE(forbidden("/app%1g.js"));
  EXPECT_TRUE(forbidden("/%4?x=1"));  // the escape is cut by the query, still malformed
}

TEST_F(ViewerFilesTest, TargetsThatAreNotAbsolutePathsAreForbidden) {
  EXPECT_TRUE(forbidden(""));
  EXPECT_TRUE(forbidden("app.js"));
  EXPECT_TRUE(forbidden("?x=1"));
  EXPECT_TRUE(forbidden("http://example.com/app.js"));
  EXPECT_TRUE(forbidden("*"));
}

TEST_F(ViewerFilesTest, MissingFilesAndFoldersAreNotFound) {
  EXPECT_TRUE(not_found("/missing.html"));
  EXPECT_TRUE(not_found("/missing/"));
  EXPECT_TRUE(not_found("/sub/missing.js"));
  EXPECT_TRUE(not_found("/sub"));        // a folder without the slash is not a file
  EXPECT_TRUE(not_found("/emptydir/"));  // a folder without index.html
  EXPECT_TRUE(not_found("/emptydir"));
  EXPECT_TRUE(not_found("/app.js/"));    // app.js/index.html
}

TEST_F(ViewerFilesTest, SymbolicLinksOutOfTheFolderAreForbidden) {
  EXPECT_TRUE(forbidden("/link_out"));
  EXPECT_TRUE(forbidden("/dir_out/secret.txt"));
  // A sibling folder whose name starts with the root's name is still outside.
  EXPECT_TRUE(forbidden("/dir_sibling/page.html"));
}

TEST_F(ViewerFilesTest, SymbolicLinksInsideTheFolderAreFollowed) {
  EXPECT_TRUE(found("/link_in", "app.js"));
  fs::create_directory_symlink("sub", root_ / "sub_alias");
  EXPECT_TRUE(found("/sub_alias/data.json", "sub/data.json"));
  EXPECT_TRUE(found("/sub_alias/", "sub/index.html"));
}

TEST_F(ViewerFilesTest, RootReachedThroughASymbolicLinkStillServes) {
  fs::create_directory_symlink("viewer", temp_.path() / "viewer_link");
  const ViewerFiles files(temp_.path() / "viewer_link");
  EXPECT_TRUE(files.root_exists());
  const auto result = files.resolve("/app.js");
  ASSERT_TRUE(std::holds_alternative<ViewerFiles::Found>(result));
  EXPECT_EQ(std::get<ViewerFiles::Found>(result).path, fs::canonical(root_ / "app.js"));
  EXPECT_EQ(std::get<ViewerFiles::Refusal>(files.resolve("/link_out")), ViewerFiles::Refusal::forbidden);
}

TEST_F(ViewerFilesTest, MissingRootServesNothing) {
  const ViewerFiles files(temp_.path() / "no_such_folder");
  EXPECT_FALSE(files.root_exists());
  const auto index = files.resolve("/");
  ASSERT_TRUE(std::holds_alternative<ViewerFiles::Refusal>(index));
  EXPECT_EQ(std::get<ViewerFiles::Refusal>(index), ViewerFiles::Refusal::not_found);
  EXPECT_EQ(std::get<ViewerFiles::Refusal>(files.resolve("/app.js")), ViewerFiles::Refusal::not_found);
  EXPECT_EQ(std::get<ViewerFiles::Refusal>(files.resolve("/../secret.txt")), ViewerFiles::Refusal::forbidden);
}

TEST_F(ViewerFilesTest, FoundFilesCarryTheirContentType) {
  write_file(root_ / "style.css", "");
  write_file(root_ / "logo.svg", "");
  const ViewerFiles files(root_);
  const auto type_of = [&](std::string_view target) {
    const auto result = files.resolve(target);
    return std::holds_alternative<ViewerFiles::Found>(result) ? std::get<ViewerFiles::Found>(result).content_type
                                                              : std::string("(refused)");
  };
  EXPECT_EQ(type_of("/app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(type_of("/style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(type_of("/logo.svg"), "image/svg+xml");
  EXPECT_EQ(type_of("/sub/data.json"), "application/json");
  EXPECT_EQ(type_of("/link_in"), "text/javascript; charset=utf-8");  // by the file linked to
}

TEST(ViewerFiles, ContentTypeByExtension) {
  EXPECT_EQ(content_type_for("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(content_type_for("/a/b/main.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("module.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(content_type_for("viewer.css"), "text/css; charset=utf-8");
  EXPECT_EQ(content_type_for("colormaps.json"), "application/json");
  EXPECT_EQ(content_type_for("icon.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("shot.png"), "image/png");
  EXPECT_EQ(content_type_for("favicon.ico"), "image/x-icon");
  EXPECT_EQ(content_type_for("README.md"), "text/markdown; charset=utf-8");
  EXPECT_EQ(content_type_for("notes.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(content_type_for("archive.tar.gz"), "application/octet-stream");
  EXPECT_EQ(content_type_for("Makefile"), "application/octet-stream");
  EXPECT_EQ(content_type_for("data.bin"), "application/octet-stream");
  EXPECT_EQ(content_type_for("page.html.bak"), "application/octet-stream");
}

}  // namespace
}  // namespace tomolive::daemon
