#include "tomolive/daemon/slice_frame.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include <nlohmann/json.hpp>

#include "tomolive/protocol/codec.hpp"

namespace tomolive::daemon {
namespace {

static_assert(std::endian::native == std::endian::little, "slice frames are written little-endian from memory");

constexpr char kMagic[4] = {'T', 'L', 'S', '1'};
constexpr std::size_t kAlignment = 8;  // the uint16 data starts at a multiple of this from the message start
constexpr double kLevels = 65535.0;

std::uint32_t ceil_div(std::uint32_t a, std::uint32_t b) { return (a + b - 1) / b; }

// Block averages of the cut, finite values only (NaN where a block has none), and their finite range.
struct Binned {
  std::vector<float> values;
  float min = 0.0F;
  float max = 0.0F;
  std::size_t non_finite = 0;  // data pixels whose block has no finite value
};

// values: a rows x slice_cols image, row-major.
Binned bin(std::span<const float> values, std::size_t slice_cols, const SliceCut& cut) {
  Binned out;
  out.values.assign(static_cast<std::size_t>(cut.data_rows) * cut.data_cols, 0.0F);
  float lo = std::numeric_limits<float>::infinity();
  float hi = -std::numeric_limits<float>::infinity();
  for (std::uint32_t dr = 0; dr < cut.data_rows; ++dr) {
    const std::uint32_t r_begin = cut.row0 + dr * cut.binning;
    const std::uint32_t r_end = std::min(r_begin + cut.binning, cut.row0 + cut.rows);
    for (std::uint32_t dc = 0; dc < cut.data_cols; ++dc) {
      const std::uint32_t c_begin = cut.col0 + dc * cut.binning;
      const std::uint32_t c_end = std::min(c_begin + cut.binning, cut.col0 + cut.cols);
      double sum = 0.0;
      std::uint32_t finite = 0;
      for (std::uint32_t r = r_begin; r < r_end; ++r) {
        const float* row = values.data() + r * slice_cols;
        for (std::uint32_t c = c_begin; c < c_end; ++c) {
          if (std::isfinite(row[c])) {
            sum += row[c];
            ++finite;
          }
        }
      }
      float& value = out.values[static_cast<std::size_t>(dr) * cut.data_cols + dc];
      if (finite == 0) {
        value = std::numeric_limits<float>::quiet_NaN();
        ++out.non_finite;
        continue;
      }
      value = static_cast<float>(sum / finite);
      lo = std::min(lo, value);
      hi = std::max(hi, value);
    }
  }
  if (lo <= hi) {
    out.min = lo;
    out.max = hi;
  }
  return out;
}

}  // namespace

SliceCut cut_slice(const SliceView& view, std::uint32_t slice_rows, std::uint32_t slice_cols) {
  SliceCut cut;
  const auto region = view.region.value_or(std::array<std::uint32_t, 4>{0, 0, slice_rows, slice_cols});
  cut.row0 = std::min(region[0], slice_rows - 1);
  cut.col0 = std::min(region[1], slice_cols - 1);
  cut.rows = std::clamp(region[2], std::uint32_t{1}, slice_rows - cut.row0);
  cut.cols = std::clamp(region[3], std::uint32_t{1}, slice_cols - cut.col0);
  cut.binning = std::max({std::uint32_t{1}, ceil_div(cut.rows, std::max(view.max_rows, std::uint32_t{1})),
                          ceil_div(cut.cols, std::max(view.max_cols, std::uint32_t{1}))});
  cut.data_rows = ceil_div(cut.rows, cut.binning);
  cut.data_cols = ceil_div(cut.cols, cut.binning);
  return cut;
}

namespace {

// The message for `header` (the fields that say what the image is) and the image's binned, quantized values.
std::string encode_frame(nlohmann::json header, std::span<const float> values, std::uint32_t rows, std::uint32_t cols,
                         const SliceView& view, std::int64_t sent_ns) {
  const SliceCut cut = cut_slice(view, rows, cols);
  const Binned binned = bin(values, cols, cut);
  header["region"] = {cut.row0, cut.col0, cut.rows, cut.cols};
  header["data_shape"] = {cut.data_rows, cut.data_cols};
  header["binning"] = cut.binning;
  header["encoding"] = "uint16_linear";
  header["value_min"] = binned.min;
  header["value_max"] = binned.max;
  header["non_finite"] = binned.non_finite;
  header["sent_ns"] = sent_ns;
  const std::string header_text = header.dump();

  const std::size_t header_end = sizeof kMagic + sizeof(std::uint32_t) + header_text.size();
  const std::size_t data_offset = (header_end + kAlignment - 1) / kAlignment * kAlignment;
  std::string frame(data_offset + binned.values.size() * sizeof(std::uint16_t), '\0');
  std::memcpy(frame.data(), kMagic, sizeof kMagic);
  const auto header_bytes = static_cast<std::uint32_t>(header_text.size());
  std::memcpy(frame.data() + sizeof kMagic, &header_bytes, sizeof header_bytes);
  std::memcpy(frame.data() + sizeof kMagic + sizeof header_bytes, header_text.data(), header_text.size());

  const double range = static_cast<double>(binned.max) - binned.min;
  const double scale = range > 0.0 ? kLevels / range : 0.0;
  char* out = frame.data() + data_offset;
  for (const float value : binned.values) {
    std::uint16_t q = 0;
    if (std::isfinite(value)) {
      // in double: the range of float values may exceed the largest float
      q = static_cast<std::uint16_t>(
          std::lround(std::clamp((static_cast<double>(value) - binned.min) * scale, 0.0, kLevels)));
    }
    std::memcpy(out, &q, sizeof q);
    out += sizeof q;
  }
  return frame;
}

}  // namespace

std::string encode_slice_frame(const SliceSnapshot& slice, const SliceView& view, std::int64_t sent_ns) {
  const protocol::Bytes slice_header = protocol::encode(slice.header);
  nlohmann::json header = nlohmann::json::from_msgpack(
      reinterpret_cast<const std::uint8_t*>(slice_header.data()),
      reinterpret_cast<const std::uint8_t*>(slice_header.data()) + slice_header.size());
  // Exact in a JavaScript number, unlike the nanosecond timestamps (> 2^53); 0 when no projection is included.
  header["daemon_latency_ns"] = slice.header.received_ns > 0 ? sent_ns - slice.header.received_ns : 0;
  return encode_frame(std::move(header), slice.values, slice.header.rows, slice.header.cols, view, sent_ns);
}

std::string encode_sweep_frame(std::span<const float> image, std::uint32_t rows, std::uint32_t cols,
                               const SweepFrameInfo& info, const SliceView& view, std::int64_t sent_ns) {
  nlohmann::json header{{"slice", "sweep"},
                        {"sweep_id", info.sweep_id},
                        {"index", info.index},
                        {"count", info.count},
                        {"xy_row", info.xy_row},
                        {"shape", {rows, cols}},
                        {"pixel_step", info.pixel_step}};
  if (info.parameter.empty()) {
    header["center_offset_px"] = info.center_offset_px;
  } else {
    header["parameter"] = info.parameter;
    header["value"] = info.value;
    header["label"] = info.label;
  }
  return encode_frame(std::move(header), image, rows, cols, view, sent_ns);
}

}  // namespace tomolive::daemon
