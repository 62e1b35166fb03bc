// The one naming rule of a scan's files (scan_file_name.hpp): zero-padded id, sanitised name, no empty name part.
#include "tomolive/storage/scan_file_name.hpp"

#include <gtest/gtest.h>

namespace tomolive::storage {
namespace {

TEST(ScanFileName, StemIsPaddedIdAndSanitisedName) {
  EXPECT_EQ(scan_file_stem(7, "femur 2/b"), "scan_000007_femur_2_b");
  EXPECT_EQ(scan_file_stem(12, ""), "scan_000012");
  EXPECT_EQ(scan_file_stem(12, ".."), "scan_000012");
  EXPECT_EQ(scan_file_stem(1234567, "a.b-c_d"), "scan_1234567_a.b-c_d");
  EXPECT_EQ(scan_file_stem(1, std::string(80, 'x')), "scan_000001_" + std::string(64, 'x'));
}

}  // namespace
}  // namespace tomolive::storage
