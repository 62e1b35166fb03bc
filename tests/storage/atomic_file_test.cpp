#include "tomolive/storage/atomic_file.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "scratch_directory.hpp"
#include "tomolive/storage/storage_error.hpp"

namespace tomolive::storage {
namespace {

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(AtomicFile, WritesAndReplacesLeavingNoTemporary) {
  test::ScratchDirectory scratch;
  const auto path = scratch.path() / "scan.json";
  write_file_atomically(path, R"({"a": 1})");
  EXPECT_EQ(read_all(path), R"({"a": 1})");
  write_file_atomically(path, "second");
  EXPECT_EQ(read_all(path), "second");
  EXPECT_FALSE(std::filesystem::exists(atomic_temporary_path(path)));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(scratch.path()), {}), 1);
}

TEST(AtomicFile, MissingDirectoryIsAClearError) {
  test::ScratchDirectory scratch;
  const auto path = scratch.path() / "missing" / "scan.json";
  try {
    write_file_atomically(path, "x");
    FAIL() << "expected a StorageError";
  } catch (const StorageError& error) {
    EXPECT_EQ(error.error_number(), ENOENT);
    EXPECT_EQ(std::string(error.what()), std::string("directory '") + path.parent_path().string() + "' does not exist");
  }
}

TEST(AtomicFile, TemporaryNameIsHiddenBesideTheTarget) {
  const auto temporary = atomic_temporary_path("/data/scan.json");
  EXPECT_EQ(temporary.parent_path(), "/data");
  EXPECT_TRUE(temporary.filename().string().starts_with(".scan.json.tmp-"));
}

}  // namespace
}  // namespace tomolive::storage
