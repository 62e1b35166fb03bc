// Slice frames for browsers (PROTOCOL.md 14.3): the cut and binning of a view, the binary layout, and the 16-bit
// quantization, checked against a straightforward reference computed here.
#include "tomolive/daemon/slice_frame.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tomolive::daemon {
namespace {

using nlohmann::json;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

// A slice version with values(r, c) = value(r, c) and a header whose every field is recognisable.
template <typename ValueAt>
SliceSnapshot make_slice(std::uint32_t rows, std::uint32_t cols, ValueAt value) {
  SliceSnapshot slice;
  slice.header.scan_id = 42;
  slice.header.slice = protocol::SliceKind::xz;
  slice.header.position = -3.25;
  slice.header.rows = rows;
  slice.header.cols = cols;
  slice.header.projections_included = 180;
  slice.header.sequence = 7;
  slice.header.center_offset_px = 1.5;
  slice.header.received_ns = 1'700'000'000'000'000'001;
  slice.header.published_ns = 1'700'000'000'000'000'002;
  slice.values.resize(static_cast<std::size_t>(rows) * cols);
  for (std::uint32_t r = 0; r < rows; ++r) {
    for (std::uint32_t c = 0; c < cols; ++c) slice.values[static_cast<std::size_t>(r) * cols + c] = value(r, c);
  }
  return slice;
}

SliceView view_of(std::uint32_t max_rows, std::uint32_t max_cols,
                  std::optional<std::array<std::uint32_t, 4>> region = std::nullopt) {
  SliceView view;
  view.max_rows = max_rows;
  view.max_cols = max_cols;
  view.region = region;
  return view;
}

// A frame taken apart by the layout of PROTOCOL.md 14.3, with every layout rule checked on the way.
struct DecodedFrame {
  json header;
  std::size_t header_bytes = 0;
  std::size_t data_offset = 0;
  std::vector<std::uint16_t> q;
};

DecodedFrame decode(const std::string& frame) {
  DecodedFrame out;
  EXPECT_GE(frame.size(), 8u);
  if (frame.size() < 8) return out;
  EXPECT_EQ(frame.substr(0, 4), "TLS1");
  std::uint32_t length = 0;
  std::memcpy(&length, frame.data() + 4, sizeof length);  // little-endian host (the daemon asserts the same)
  out.header_bytes = length;
  EXPECT_LE(8u + length, frame.size());
  if (8u + length > frame.size()) return out;
  out.header = json::parse(frame.substr(8, length));  // throws (and fails the test) if not JSON
  out.data_offset = (8 + static_cast<std::size_t>(length) + 7) / 8 * 8;
  for (std::size_t i = 8 + length; i < out.data_offset && i < frame.size(); ++i) {
    EXPECT_EQ(frame[i], '\0') << "padding byte " << i << " is not zero";
  }
  const auto data_shape = out.header.at("data_shape");
  const std::size_t count = data_shape.at(0).get<std::size_t>() * data_shape.at(1).get<std::size_t>();
  EXPECT_EQ(frame.size(), out.data_offset + count * sizeof(std::uint16_t)) << "data size";
  if (frame.size() != out.data_offset + count * sizeof(std::uint16_t)) return out;
  out.q.resize(count);
  std::memcpy(out.q.data(), frame.data() + out.data_offset, count * sizeof(std::uint16_t));
  return out;
}

// Block averages of the finite values (NaN for a block without any), in double: the reference the frame must match.
std::vector<double> reference_blocks(const SliceSnapshot& slice, const SliceCut& cut) {
  std::vector<double> blocks;
  for (std::uint32_t r0 = cut.row0; r0 < cut.row0 + cut.rows; r0 += cut.binning) {
    for (std::uint32_t c0 = cut.col0; c0 < cut.col0 + cut.cols; c0 += cut.binning) {
      double sum = 0.0;
      int finite = 0;
      for (std::uint32_t r = r0; r < std::min(r0 + cut.binning, cut.row0 + cut.rows); ++r) {
        for (std::uint32_t c = c0; c < std::min(c0 + cut.binning, cut.col0 + cut.cols); ++c) {
          const float v = slice.values[static_cast<std::size_t>(r) * slice.header.cols + c];
          if (std::isfinite(v)) {
            sum += v;
            ++finite;
          }
        }
      }
      blocks.push_back(finite > 0 ? sum / finite : std::nan(""));
    }
  }
  return blocks;
}

// Checks the data of `frame` against the reference: range, q = 0 for blocks without finite values, and each decoded
// value within half a quantization step (plus float rounding) of its block average.
void expect_matches_reference(const SliceSnapshot& slice, const SliceView& view, const std::string& frame) {
  const SliceCut cut = cut_slice(view, slice.header.rows, slice.header.cols);
  const DecodedFrame decoded = decode(frame);
  const std::vector<double> reference = reference_blocks(slice, cut);
  ASSERT_EQ(decoded.q.size(), reference.size());
  ASSERT_EQ(reference.size(), static_cast<std::size_t>(cut.data_rows) * cut.data_cols);

  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  for (const double v : reference) {
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  if (!(lo <= hi)) lo = hi = 0.0;  // no finite value at all
  const double value_min = decoded.header.at("value_min").get<double>();
  const double value_max = decoded.header.at("value_max").get<double>();
  const double magnitude = std::max({std::abs(lo), std::abs(hi), 1e-30});
  const double float_eps = 4.0 * std::numeric_limits<float>::epsilon() * magnitude;
  EXPECT_NEAR(value_min, lo, float_eps);
  EXPECT_NEAR(value_max, hi, float_eps);

  const double range = value_max - value_min;
  const double tolerance = range / 65535.0 / 2.0 + float_eps;
  for (std::size_t i = 0; i < reference.size(); ++i) {
    if (!std::isfinite(reference[i])) {
      EXPECT_EQ(decoded.q[i], 0) << "block " << i << " has no finite value";
      continue;
    }
    const double value = value_min + decoded.q[i] / 65535.0 * range;
    EXPECT_NEAR(value, reference[i], tolerance) << "block " << i << " (data row " << i / cut.data_cols << ", col "
                                                << i % cut.data_cols << ")";
  }
}

// A deterministic, irregular value per pixel (no accidental symmetry that would hide a transposed index).
float pattern(std::uint32_t r, std::uint32_t c) {
  return static_cast<float>(std::sin(0.37 * r + 0.11 * c * c) * 10.0 + 0.01 * r - 0.003 * c);
}

// ------------------------------------------------------------------------------------------------------------------
// cut_slice: region clipping

TEST(SliceFrame, WithoutRegionTheWholeSliceIsCut) {
  const SliceCut cut = cut_slice(view_of(512, 512), 100, 60);
  EXPECT_EQ(cut.row0, 0u);
  EXPECT_EQ(cut.col0, 0u);
  EXPECT_EQ(cut.rows, 100u);
  EXPECT_EQ(cut.cols, 60u);
  EXPECT_EQ(cut.binning, 1u);
  EXPECT_EQ(cut.data_rows, 100u);
  EXPECT_EQ(cut.data_cols, 60u);
}

TEST(SliceFrame, RegionInsideTheSliceIsKept) {
  const SliceCut cut = cut_slice(view_of(512, 512, std::array<std::uint32_t, 4>{10, 20, 30, 5}), 100, 60);
  EXPECT_EQ(cut.row0, 10u);
  EXPECT_EQ(cut.col0, 20u);
  EXPECT_EQ(cut.rows, 30u);
  EXPECT_EQ(cut.cols, 5u);
  EXPECT_EQ(cut.data_rows, 30u);
  EXPECT_EQ(cut.data_cols, 5u);
}

TEST(SliceFrame, RegionPartlyOutsideIsClippedToTheSlice) {
  const SliceCut cut = cut_slice(view_of(512, 512, std::array<std::uint32_t, 4>{90, 50, 30, 40}), 100, 60);
  EXPECT_EQ(cut.row0, 90u);
  EXPECT_EQ(cut.col0, 50u);
  EXPECT_EQ(cut.rows, 10u);
  EXPECT_EQ(cut.cols, 10u);
}

TEST(SliceFrame, HugeRegionIsClippedWithoutOverflow) {
  const SliceCut cut =
      cut_slice(view_of(512, 512, std::array<std::uint32_t, 4>{0, 0, UINT32_MAX, UINT32_MAX}), 100, 60);
  EXPECT_EQ(cut.rows, 100u);
  EXPECT_EQ(cut.cols, 60u);
  const SliceCut shifted =
      cut_slice(view_of(512, 512, std::array<std::uint32_t, 4>{3, 4, UINT32_MAX, UINT32_MAX}), 100, 60);
  EXPECT_EQ(shifted.rows, 97u);
  EXPECT_EQ(shifted.cols, 56u);
}

TEST(SliceFrame, RegionOutsideBecomesTheNearestPixel) {
  const SliceCut below = cut_slice(view_of(512, 512, std::array<std::uint32_t, 4>{500, 10, 8, 8}), 100, 60);
  EXPECT_EQ(below.row0, 99u);
  EXPECT_EQ(below.col0, 10u);
  EXPECT_EQ(below.rows, 1u);
  EXPECT_EQ(below.cols, 8u);

  const SliceCut corner =
      cut_slice(view_of(512, 512, std::array<std::uint32_t, 4>{UINT32_MAX, UINT32_MAX, 8, 8}), 100, 60);
  EXPECT_EQ(corner.row0, 99u);
  EXPECT_EQ(corner.col0, 59u);
  EXPECT_EQ(corner.rows, 1u);
  EXPECT_EQ(corner.cols, 1u);
  EXPECT_EQ(corner.data_rows, 1u);
  EXPECT_EQ(corner.data_cols, 1u);
}

TEST(SliceFrame, EmptyRegionBecomesOnePixelWide) {
  const SliceCut empty = cut_slice(view_of(512, 512, std::array<std::uint32_t, 4>{0, 0, 0, 0}), 100, 60);
  EXPECT_EQ(empty.row0, 0u);
  EXPECT_EQ(empty.col0, 0u);
  EXPECT_EQ(empty.rows, 1u);
  EXPECT_EQ(empty.cols, 1u);

  const SliceCut no_rows = cut_slice(view_of(512, 512, std::array<std::uint32_t, 4>{5, 6, 0, 9}), 100, 60);
  EXPECT_EQ(no_rows.row0, 5u);
  EXPECT_EQ(no_rows.col0, 6u);
  EXPECT_EQ(no_rows.rows, 1u);
  EXPECT_EQ(no_rows.cols, 9u);
}

TEST(SliceFrame, OnePixelSliceIsOneDataPixel) {
  const SliceCut cut = cut_slice(view_of(1, 1), 1, 1);
  EXPECT_EQ(cut.rows, 1u);
  EXPECT_EQ(cut.cols, 1u);
  EXPECT_EQ(cut.binning, 1u);
  EXPECT_EQ(cut.data_rows, 1u);
  EXPECT_EQ(cut.data_cols, 1u);
}

// ------------------------------------------------------------------------------------------------------------------
// cut_slice: binning

TEST(SliceFrame, DefaultViewFitsFiveHundredTwelvePixels) {
  const SliceView view;  // before any `view` message
  EXPECT_EQ(view.max_rows, 512u);
  EXPECT_EQ(view.max_cols, 512u);
  EXPECT_FALSE(view.region.has_value());
  const SliceCut cut = cut_slice(view, 2048, 2048);
  EXPECT_EQ(cut.binning, 4u);
  EXPECT_EQ(cut.data_rows, 512u);
  EXPECT_EQ(cut.data_cols, 512u);
  EXPECT_EQ(cut_slice(view, 513, 10).binning, 2u);
  EXPECT_EQ(cut_slice(view, 512, 512).binning, 1u);
}

TEST(SliceFrame, BinningFollowsTheRowsWhenTheyAreTheTighterAxis) {
  const SliceCut cut = cut_slice(view_of(100, 100), 1000, 10);
  EXPECT_EQ(cut.binning, 10u);
  EXPECT_EQ(cut.data_rows, 100u);
  EXPECT_EQ(cut.data_cols, 1u);
}

TEST(SliceFrame, BinningFollowsTheColsWhenTheyAreTheTighterAxis) {
  const SliceCut cut = cut_slice(view_of(100, 100), 10, 1000);
  EXPECT_EQ(cut.binning, 10u);
  EXPECT_EQ(cut.data_rows, 1u);
  EXPECT_EQ(cut.data_cols, 100u);
  // A narrow pane: cols decide although the slice is square.
  const SliceCut narrow = cut_slice(view_of(300, 7), 300, 300);
  EXPECT_EQ(narrow.binning, 43u);  // ceil(300 / 7)
  EXPECT_EQ(narrow.data_cols, 7u);
  EXPECT_EQ(narrow.data_rows, 7u);  // ceil(300 / 43)
}

TEST(SliceFrame, BinningIsTheSmallestFactorThatFits) {
  const auto ceil_div = [](std::uint32_t a, std::uint32_t b) { return (a + b - 1) / b; };
  for (const std::uint32_t rows : {1u, 2u, 7u, 64u, 100u, 511u, 512u, 513u, 1000u, 2048u, 4099u}) {
    for (const std::uint32_t cols : {1u, 3u, 64u, 333u, 2048u}) {
      for (const std::uint32_t max_rows : {1u, 2u, 5u, 100u, 512u, 16384u}) {
        for (const std::uint32_t max_cols : {1u, 3u, 256u, 16384u}) {
          const SliceCut cut = cut_slice(view_of(max_rows, max_cols), rows, cols);
          SCOPED_TRACE(std::to_string(rows) + "x" + std::to_string(cols) + " into " + std::to_string(max_rows) +
                       "x" + std::to_string(max_cols));
          ASSERT_GE(cut.binning, 1u);
          EXPECT_EQ(cut.data_rows, ceil_div(rows, cut.binning));
          EXPECT_EQ(cut.data_cols, ceil_div(cols, cut.binning));
          EXPECT_LE(cut.data_rows, max_rows);
          EXPECT_LE(cut.data_cols, max_cols);
          if (cut.binning > 1) {
            const std::uint32_t f = cut.binning - 1;
            EXPECT_TRUE(ceil_div(rows, f) > max_rows || ceil_div(cols, f) > max_cols)
                << "binning " << f << " would fit too";
          }
        }
      }
    }
  }
}

TEST(SliceFrame, BinningAppliesToTheRegionNotTheWholeSlice) {
  const SliceCut zoomed = cut_slice(view_of(256, 256, std::array<std::uint32_t, 4>{1000, 1000, 256, 200}), 2048, 2048);
  EXPECT_EQ(zoomed.binning, 1u);
  EXPECT_EQ(zoomed.data_rows, 256u);
  EXPECT_EQ(zoomed.data_cols, 200u);
}

// ------------------------------------------------------------------------------------------------------------------
// encode_slice_frame: layout

TEST(SliceFrame, FrameStartsWithMagicAndHeaderLength) {
  const SliceSnapshot slice = make_slice(16, 24, pattern);
  const std::string frame = encode_slice_frame(slice, view_of(512, 512), 123);
  ASSERT_GE(frame.size(), 8u);
  EXPECT_EQ(std::memcmp(frame.data(), "TLS1", 4), 0);
  // uint32 little-endian, read byte by byte so that the test does not depend on the host's byte order.
  const auto byte = [&](std::size_t i) { return static_cast<std::uint32_t>(static_cast<unsigned char>(frame[i])); };
  const std::uint32_t length = byte(4) | byte(5) << 8 | byte(6) << 16 | byte(7) << 24;
  ASSERT_LE(8u + length, frame.size());
  const std::string header_text = frame.substr(8, length);
  EXPECT_EQ(header_text.front(), '{');
  EXPECT_EQ(header_text.back(), '}');
  EXPECT_TRUE(json::accept(header_text));
}

TEST(SliceFrame, HeaderCarriesTheSliceHeaderAndTheCut) {
  const SliceSnapshot slice = make_slice(100, 60, pattern);
  const std::string frame =
      encode_slice_frame(slice, view_of(8, 16, std::array<std::uint32_t, 4>{10, 20, 50, 100}), 987654321012345678);
  const DecodedFrame decoded = decode(frame);
  const json& h = decoded.header;
  // The slice header of 9.1.
  EXPECT_EQ(h.at("scan_id").get<std::uint64_t>(), 42u);
  EXPECT_EQ(h.at("slice").get<std::string>(), "xz");
  EXPECT_DOUBLE_EQ(h.at("position").get<double>(), -3.25);
  EXPECT_EQ(h.at("shape"), json::array({100, 60}));
  EXPECT_EQ(h.at("projections_included").get<std::uint32_t>(), 180u);
  EXPECT_EQ(h.at("sequence").get<std::uint64_t>(), 7u);
  EXPECT_DOUBLE_EQ(h.at("center_offset_px").get<double>(), 1.5);
  EXPECT_EQ(h.at("received_ns").get<std::int64_t>(), 1'700'000'000'000'000'001);
  EXPECT_EQ(h.at("published_ns").get<std::int64_t>(), 1'700'000'000'000'000'002);
  // The additions of 14.3. Region clipped to [10, 20, 50, 40]; 50 rows into 8 -> f = 7; 40 cols into 16 -> f = 3.
  EXPECT_EQ(h.at("region"), json::array({10, 20, 50, 40}));
  EXPECT_EQ(h.at("binning").get<std::uint32_t>(), 7u);
  EXPECT_EQ(h.at("data_shape"), json::array({8, 6}));  // ceil(50 / 7), ceil(40 / 7)
  EXPECT_EQ(h.at("encoding").get<std::string>(), "uint16_linear");
  EXPECT_TRUE(h.at("value_min").is_number());
  EXPECT_TRUE(h.at("value_max").is_number());
  EXPECT_EQ(h.at("sent_ns").get<std::int64_t>(), 987654321012345678);
  EXPECT_EQ(decoded.q.size(), 48u);
}

TEST(SliceFrame, DataStartsAtAMultipleOfEightAfterZeroPadding) {
  // Different header lengths (digits of sent_ns and the sequence) hit every padding length 0..7.
  std::vector<bool> padding_seen(8, false);
  for (std::int64_t sent_ns = 1; sent_ns < 1'000'000'000'000; sent_ns = sent_ns * 10 + 3) {
    for (std::uint64_t sequence = 0; sequence < 1000; sequence = sequence * 10 + 1) {
      SliceSnapshot slice = make_slice(3, 5, pattern);
      slice.header.sequence = sequence;
      const std::string frame = encode_slice_frame(slice, view_of(512, 512), sent_ns);
      const DecodedFrame decoded = decode(frame);  // checks zero padding and the data size
      EXPECT_EQ(decoded.data_offset % 8, 0u);
      EXPECT_GE(decoded.data_offset, 8 + decoded.header_bytes);
      EXPECT_LT(decoded.data_offset, 8 + decoded.header_bytes + 8);
      EXPECT_EQ(frame.size(), decoded.data_offset + 3 * 5 * 2);
      padding_seen[decoded.data_offset - 8 - decoded.header_bytes] = true;
    }
  }
  for (std::size_t p = 0; p < padding_seen.size(); ++p) EXPECT_TRUE(padding_seen[p]) << "padding of " << p;
}

// ------------------------------------------------------------------------------------------------------------------
// encode_slice_frame: block averages and quantization

TEST(SliceFrame, UnbinnedValuesRoundTripWithinHalfAStep) {
  const SliceSnapshot slice = make_slice(37, 29, pattern);
  const SliceView view = view_of(512, 512);
  expect_matches_reference(slice, view, encode_slice_frame(slice, view, 0));
}

TEST(SliceFrame, BlockAveragesIncludePartialEdgeBlocks) {
  // 37 x 29 into 10 x 10: f = 4, 10 x 8 blocks; the last row of blocks has 1 row, the last column 1 col.
  const SliceSnapshot slice = make_slice(37, 29, pattern);
  const SliceView view = view_of(10, 10);
  const SliceCut cut = cut_slice(view, 37, 29);
  ASSERT_EQ(cut.binning, 4u);
  ASSERT_EQ(cut.data_rows, 10u);
  ASSERT_EQ(cut.data_cols, 8u);
  expect_matches_reference(slice, view, encode_slice_frame(slice, view, 0));
}

TEST(SliceFrame, PartialEdgeBlockIsTheMeanOfItsOwnPixelsOnly) {
  // 3 x 3 slice binned by 2: the edge blocks must average only the pixels they hold (no zeros from outside).
  const SliceSnapshot slice = make_slice(3, 3, [](std::uint32_t r, std::uint32_t c) {
    return static_cast<float>(r * 3 + c);  // 0 1 2 / 3 4 5 / 6 7 8
  });
  const std::string frame = encode_slice_frame(slice, view_of(2, 2), 0);
  const DecodedFrame decoded = decode(frame);
  ASSERT_EQ(decoded.header.at("data_shape"), json::array({2, 2}));
  ASSERT_EQ(decoded.q.size(), 4u);
  // Block means: (0+1+3+4)/4 = 2, (2+5)/2 = 3.5, (6+7)/2 = 6.5, 8.
  EXPECT_FLOAT_EQ(decoded.header.at("value_min").get<float>(), 2.0F);
  EXPECT_FLOAT_EQ(decoded.header.at("value_max").get<float>(), 8.0F);
  const auto decoded_value = [&](std::size_t i) { return 2.0 + decoded.q[i] / 65535.0 * 6.0; };
  EXPECT_EQ(decoded.q[0], 0);
  EXPECT_NEAR(decoded_value(1), 3.5, 6.0 / 65535 / 2);
  EXPECT_NEAR(decoded_value(2), 6.5, 6.0 / 65535 / 2);
  EXPECT_EQ(decoded.q[3], 65535);
}

TEST(SliceFrame, RegionAndBinningTogetherAverageTheRightPixels) {
  const SliceSnapshot slice = make_slice(200, 150, pattern);
  using Region = std::array<std::uint32_t, 4>;
  for (const Region& region : {Region{13, 7, 101, 77}, Region{190, 140, 50, 50}, Region{0, 149, 200, 1}}) {
    for (const auto& shape : {std::array<std::uint32_t, 2>{9, 11}, std::array<std::uint32_t, 2>{1, 1},
                              std::array<std::uint32_t, 2>{16384, 3}}) {
      SCOPED_TRACE(::testing::Message() << "region " << region[0] << "," << region[1] << "," << region[2] << ","
                                        << region[3] << " max_shape " << shape[0] << "x" << shape[1]);
      const SliceView view = view_of(shape[0], shape[1], region);
      expect_matches_reference(slice, view, encode_slice_frame(slice, view, 0));
    }
  }
}

TEST(SliceFrame, ExtremesMapToZeroAndFullScale) {
  const SliceSnapshot slice = make_slice(1, 3, [](std::uint32_t, std::uint32_t c) {
    return std::array<float, 3>{-2.0F, 0.5F, 3.0F}[c];
  });
  const DecodedFrame decoded = decode(encode_slice_frame(slice, view_of(512, 512), 0));
  ASSERT_EQ(decoded.q.size(), 3u);
  EXPECT_FLOAT_EQ(decoded.header.at("value_min").get<float>(), -2.0F);
  EXPECT_FLOAT_EQ(decoded.header.at("value_max").get<float>(), 3.0F);
  EXPECT_EQ(decoded.q[0], 0);
  EXPECT_EQ(decoded.q[1], 32768);  // 2.5 / 5 * 65535 = 32767.5, rounded half away from zero
  EXPECT_EQ(decoded.q[2], 65535);
}

TEST(SliceFrame, NonFiniteValuesAreExcludedFromRangeAndAverages) {
  // A NaN in an otherwise finite block and an infinity elsewhere: neither may reach the range or the averages.
  const SliceSnapshot slice = make_slice(4, 4, [](std::uint32_t r, std::uint32_t c) {
    if (r == 0 && c == 0) return kNaN;
    if (r == 3 && c == 3) return kInf;
    if (r == 2 && c == 3) return -kInf;
    return static_cast<float>(r + c);
  });
  const SliceView unbinned = view_of(512, 512);
  const std::string frame = encode_slice_frame(slice, unbinned, 0);
  const DecodedFrame decoded = decode(frame);
  EXPECT_FLOAT_EQ(decoded.header.at("value_min").get<float>(), 1.0F);  // (0, 1) and (1, 0); (0, 0) is NaN
  EXPECT_FLOAT_EQ(decoded.header.at("value_max").get<float>(), 5.0F);  // (3, 2) and (2, 3)=-inf excluded
  ASSERT_EQ(decoded.q.size(), 16u);
  EXPECT_EQ(decoded.q[0], 0);
  EXPECT_EQ(decoded.q[15], 0);
  EXPECT_EQ(decoded.q[11], 0);
  EXPECT_EQ(decoded.header.at("non_finite"), 3);
  expect_matches_reference(slice, unbinned, frame);

  const SliceView binned = view_of(2, 2);  // f = 2: the NaN block averages its 3 finite pixels
  const std::string binned_frame = encode_slice_frame(slice, binned, 0);
  expect_matches_reference(slice, binned, binned_frame);
  const DecodedFrame b = decode(binned_frame);
  // Blocks: {NaN,1,1,2} -> 4/3; {2,3,3,4} -> 3; {2,3,3,4} -> 3; {4,-inf,5,inf} -> 4.5.
  EXPECT_NEAR(b.header.at("value_min").get<double>(), 4.0 / 3.0, 1e-6);
  EXPECT_NEAR(b.header.at("value_max").get<double>(), 4.5, 1e-6);
  EXPECT_EQ(b.header.at("non_finite"), 0);  // every block has a finite value
}

TEST(SliceFrame, BlockWithoutFiniteValuesIsZeroAndOutsideTheRange) {
  const SliceSnapshot slice = make_slice(4, 4, [](std::uint32_t r, std::uint32_t c) {
    if (r < 2 && c < 2) return r == c ? kNaN : kInf;  // the whole top-left 2 x 2 block
    return static_cast<float>(10 + r * 4 + c);
  });
  const SliceView view = view_of(2, 2);
  const std::string frame = encode_slice_frame(slice, view, 0);
  const DecodedFrame decoded = decode(frame);
  ASSERT_EQ(decoded.q.size(), 4u);
  EXPECT_EQ(decoded.q[0], 0);
  // Others: {12,13,16,17} -> 14.5; {18,19,22,23} -> 20.5; {20,21,24,25} -> 22.5.
  EXPECT_FLOAT_EQ(decoded.header.at("value_min").get<float>(), 14.5F);
  EXPECT_FLOAT_EQ(decoded.header.at("value_max").get<float>(), 22.5F);
  EXPECT_EQ(decoded.q[1], 0);
  EXPECT_EQ(decoded.q[3], 65535);
  EXPECT_EQ(decoded.header.at("non_finite"), 1);  // tells q = 0 here from q = 0 at value_min
  expect_matches_reference(slice, view, frame);
}

TEST(SliceFrame, AllNonFiniteSliceHasRangeZeroAndAllZeros) {
  const SliceSnapshot slice =
      make_slice(5, 5, [](std::uint32_t r, std::uint32_t c) { return (r + c) % 2 ? kNaN : -kInf; });
  const DecodedFrame decoded = decode(encode_slice_frame(slice, view_of(512, 512), 0));
  const double value_min = decoded.header.at("value_min").get<double>();
  const double value_max = decoded.header.at("value_max").get<double>();
  EXPECT_TRUE(std::isfinite(value_min));
  EXPECT_TRUE(std::isfinite(value_max));
  EXPECT_EQ(value_min, value_max);
  ASSERT_EQ(decoded.q.size(), 25u);
  for (const std::uint16_t q : decoded.q) EXPECT_EQ(q, 0);
  EXPECT_EQ(decoded.header.at("non_finite"), 25);
}

TEST(SliceFrame, ConstantSliceHasRangeZero) {
  const SliceSnapshot slice = make_slice(6, 7, [](std::uint32_t, std::uint32_t) { return 0.125F; });
  for (const SliceView& view : {view_of(512, 512), view_of(2, 2)}) {
    const DecodedFrame decoded = decode(encode_slice_frame(slice, view, 0));
    EXPECT_FLOAT_EQ(decoded.header.at("value_min").get<float>(), 0.125F);
    EXPECT_FLOAT_EQ(decoded.header.at("value_max").get<float>(), 0.125F);
    ASSERT_FALSE(decoded.q.empty());
    for (const std::uint16_t q : decoded.q) EXPECT_EQ(q, 0);  // value = value_min + q/65535 * 0 = the constant
  }
}

TEST(SliceFrame, NegativeAndTinyRangesRoundTrip) {
  const SliceSnapshot negative = make_slice(20, 20, [](std::uint32_t r, std::uint32_t c) {
    return -1000.0F - static_cast<float>(r * 20 + c) * 0.37F;
  });
  expect_matches_reference(negative, view_of(7, 7), encode_slice_frame(negative, view_of(7, 7), 0));
  const SliceSnapshot tiny = make_slice(20, 20, [](std::uint32_t r, std::uint32_t c) {
    return 1e-6F * static_cast<float>((r * 7 + c * 3) % 11);
  });
  expect_matches_reference(tiny, view_of(512, 512), encode_slice_frame(tiny, view_of(512, 512), 0));
}

// BUG (daemon/src/slice_frame.cpp, encode_slice_frame: `(value - binned.min) * scale`): the difference is taken in
// float, so with a range wider than FLT_MAX it overflows to +inf and a mid-range value is sent as full scale.
TEST(SliceFrame, RangeWiderThanFloatMaxStillRoundTrips) {
  const SliceSnapshot slice = make_slice(1, 3, [](std::uint32_t, std::uint32_t c) {
    return std::array<float, 3>{-3e38F, 1e38F, 3e38F}[c];
  });
  const SliceView view = view_of(512, 512);
  expect_matches_reference(slice, view, encode_slice_frame(slice, view, 0));
}

}  // namespace
}  // namespace tomolive::daemon
