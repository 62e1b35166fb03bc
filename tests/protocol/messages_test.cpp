// Names and sizes of the wire enums.
#include "tomolive/protocol/messages.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

namespace tomolive::protocol {
namespace {

TEST(MessagesTest, DtypeNamesAndSizes) {
  EXPECT_EQ(to_string(Dtype::uint8), "uint8");
  EXPECT_EQ(to_string(Dtype::uint16), "uint16");
  EXPECT_EQ(to_string(Dtype::uint32), "uint32");
  EXPECT_EQ(to_string(Dtype::float32), "float32");
  EXPECT_EQ(itemsize(Dtype::uint8), 1u);
  EXPECT_EQ(itemsize(Dtype::uint16), 2u);
  EXPECT_EQ(itemsize(Dtype::uint32), 4u);
  EXPECT_EQ(itemsize(Dtype::float32), 4u);
  for (Dtype dtype : {Dtype::uint8, Dtype::uint16, Dtype::uint32, Dtype::float32}) {
    EXPECT_EQ(parse_dtype(to_string(dtype)), dtype);
  }
  EXPECT_EQ(parse_dtype("int16"), std::nullopt);
  EXPECT_EQ(parse_dtype("UINT16"), std::nullopt);
  EXPECT_EQ(parse_dtype(""), std::nullopt);
}

TEST(MessagesTest, FrameKindNames) {
  EXPECT_EQ(to_string(FrameKind::dark), "dark");
  EXPECT_EQ(to_string(FrameKind::flat), "flat");
  EXPECT_EQ(to_string(FrameKind::projection), "projection");
  for (FrameKind kind : {FrameKind::dark, FrameKind::flat, FrameKind::projection}) {
    EXPECT_EQ(parse_frame_kind(to_string(kind)), kind);
  }
  EXPECT_EQ(parse_frame_kind("begin"), std::nullopt);
  EXPECT_EQ(parse_frame_kind("0"), std::nullopt);
}

TEST(MessagesTest, FilterWindowNames) {
  const std::vector<std::pair<FilterWindow, std::string>> names = {
      {FilterWindow::ram_lak, "ram-lak"}, {FilterWindow::shepp_logan, "shepp-logan"},
      {FilterWindow::cosine, "cosine"},   {FilterWindow::hamming, "hamming"},
      {FilterWindow::hann, "hann"},       {FilterWindow::parzen, "parzen"}};
  for (const auto& [window, name] : names) {
    EXPECT_EQ(to_string(window), name);
    EXPECT_EQ(parse_filter_window(name), window);
  }
  EXPECT_FALSE(parse_filter_window("Hann"));
  EXPECT_FALSE(parse_filter_window("ramlak"));
}

TEST(MessagesTest, SliceKindNames) {
  EXPECT_EQ(to_string(SliceKind::xy), "xy");
  EXPECT_EQ(to_string(SliceKind::xz), "xz");
  EXPECT_EQ(to_string(SliceKind::yz), "yz");
  for (SliceKind kind : {SliceKind::xy, SliceKind::xz, SliceKind::yz}) {
    EXPECT_EQ(parse_slice_kind(to_string(kind)), kind);
  }
  EXPECT_EQ(parse_slice_kind("zx"), std::nullopt);
}

TEST(MessagesTest, ErrorCodeNamesAreTheEnumeratorNamesAndUnique) {
  EXPECT_EQ(to_string(ErrorCode::malformed_header), "malformed_header");
  EXPECT_EQ(to_string(ErrorCode::reference_after_projections), "reference_after_projections");
  EXPECT_EQ(to_string(ErrorCode::transport_error), "transport_error");
  EXPECT_EQ(to_string(ErrorCode::disk_error), "disk_error");
  EXPECT_EQ(to_string(ErrorCode::internal_error), "internal_error");
  EXPECT_EQ(parse_error_code("transport_error"), ErrorCode::transport_error);
  EXPECT_EQ(parse_error_code("disk_error"), ErrorCode::disk_error);
  std::set<std::string> names;
  for (std::size_t i = 0; i < kErrorCodeCount; ++i) {
    const auto code = static_cast<ErrorCode>(i);
    const std::string name(to_string(code));
    EXPECT_TRUE(names.insert(name).second) << name;
    EXPECT_EQ(parse_error_code(name), code);
  }
  EXPECT_EQ(parse_error_code("invalid"), std::nullopt);
}

}  // namespace
}  // namespace tomolive::protocol
