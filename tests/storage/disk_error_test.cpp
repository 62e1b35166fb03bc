#include "tomolive/storage/disk_error.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>

#include "scratch_directory.hpp"

namespace tomolive::storage {
namespace {

TEST(DiskError, NamesTheProblemInOperatorTerms) {
  EXPECT_EQ(describe_disk_error(ENOSPC, DiskOperation::write_file, "/data/scan.nxs"),
            "disk full while writing '/data/scan.nxs'");
  EXPECT_EQ(describe_disk_error(EROFS, DiskOperation::create_file, "/data/scan.nxs"),
            "directory '/data' is read-only (read-only file system)");
  EXPECT_EQ(describe_disk_error(EACCES, DiskOperation::create_file, "/data/scan.nxs"),
            "directory '/data' is read-only for this process (permission denied)");
  EXPECT_EQ(describe_disk_error(ENOENT, DiskOperation::create_file, "/nowhere/scan.nxs"),
            "directory '/nowhere' does not exist");
  EXPECT_EQ(describe_disk_error(EEXIST, DiskOperation::create_file, "/data/scan.nxs"),
            "file '/data/scan.nxs' already exists");
  EXPECT_EQ(describe_disk_error(ENOENT, DiskOperation::open_file, "/data/scan.nxs"),
            "file '/data/scan.nxs' does not exist");
  EXPECT_NE(describe_disk_error(EBADF, DiskOperation::write_file, "/x").find("errno 9"), std::string::npos);
}

TEST(DiskError, CarriesTheErrno) {
  const StorageError error = disk_error(ENOSPC, DiskOperation::write_file, "/data/scan.nxs");
  EXPECT_EQ(error.error_number(), ENOSPC);
  EXPECT_STREQ(error.what(), "disk full while writing '/data/scan.nxs'");
}

TEST(DirectoryProblem, MissingDirectoryAndFile) {
  test::ScratchDirectory scratch;
  EXPECT_EQ(directory_problem(scratch.path()), std::nullopt);
  const auto missing = scratch.path() / "missing";
  EXPECT_EQ(directory_problem(missing), std::string("directory '") + missing.string() + "' does not exist");
  const auto file = scratch.path() / "file";
  std::ofstream(file) << "x";
  EXPECT_EQ(directory_problem(file), std::string("'") + file.string() + "' is not a directory");
}

TEST(DirectoryProblem, ReadOnlyDirectory) {
  if (::geteuid() == 0) GTEST_SKIP() << "root ignores directory permissions";
  test::ScratchDirectory scratch;
  std::filesystem::permissions(scratch.path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  EXPECT_EQ(directory_problem(scratch.path()),
            std::string("directory '") + scratch.path().string() + "' is read-only for this process (permission denied)");
}

}  // namespace
}  // namespace tomolive::storage
