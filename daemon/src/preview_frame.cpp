#include "tomolive/daemon/preview_frame.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

namespace tomolive::daemon {
namespace {

constexpr char kMagic[4] = {'T', 'L', 'V', '1'};
constexpr std::size_t kAlignment = 8;  // the data start at a multiple of this from the message start
constexpr double kLevels = 255.0;

std::size_t layer_voxels(const PreviewSnapshot& preview) { return std::size_t{preview.rows} * preview.cols; }

}  // namespace

void quantize_preview(std::span<const float> voxels, PreviewSnapshot& out) {
  float lo = std::numeric_limits<float>::infinity();
  float hi = -std::numeric_limits<float>::infinity();
  std::uint64_t non_finite = 0;
  for (const float v : voxels) {
    if (!std::isfinite(v)) {
      ++non_finite;
      continue;
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (!(lo <= hi)) lo = hi = 0.f;
  out.value_min = lo;
  out.value_max = hi;
  out.non_finite = non_finite;
  out.values.resize(voxels.size());
  const double range = static_cast<double>(hi) - lo;
  const double scale = range > 0.0 ? kLevels / range : 0.0;
  for (std::size_t k = 0; k < voxels.size(); ++k) {
    const float v = voxels[k];
    out.values[k] = std::isfinite(v) ? static_cast<std::uint8_t>(std::lround(
                                           std::clamp((static_cast<double>(v) - lo) * scale, 0.0, kLevels)))
                                     : std::uint8_t{0};
  }
}

std::uint32_t preview_chunk_layers(const PreviewSnapshot& preview) {
  const std::size_t per_layer = std::max<std::size_t>(1, layer_voxels(preview));
  return static_cast<std::uint32_t>(
      std::clamp<std::size_t>(kPreviewChunkBytes / per_layer, 1, std::max<std::uint32_t>(1, preview.layers)));
}

std::uint32_t preview_chunk_count(const PreviewSnapshot& preview) {
  const std::uint32_t per_chunk = preview_chunk_layers(preview);
  return (preview.layers + per_chunk - 1) / per_chunk;
}

std::string encode_preview_chunk(const PreviewSnapshot& preview, std::uint32_t chunk, std::int64_t sent_ns) {
  const std::uint32_t per_chunk = preview_chunk_layers(preview);
  const std::uint32_t layer0 = chunk * per_chunk;
  const std::uint32_t layers = std::min(per_chunk, preview.layers - std::min(layer0, preview.layers));
  const nlohmann::json header = {{"type", "preview"},
                                 {"scan_id", preview.scan_id},
                                 {"sequence", preview.sequence},
                                 {"shape", {preview.layers, preview.rows, preview.cols}},
                                 {"binning", preview.binning},
                                 {"layers", {layer0, layers}},
                                 {"chunk", chunk},
                                 {"chunks", preview_chunk_count(preview)},
                                 {"encoding", "uint8_linear"},
                                 {"value_min", preview.value_min},
                                 {"value_max", preview.value_max},
                                 {"non_finite", preview.non_finite},
                                 {"sent_ns", sent_ns}};
  const std::string header_text = header.dump();
  const std::size_t header_end = sizeof kMagic + sizeof(std::uint32_t) + header_text.size();
  const std::size_t data_offset = (header_end + kAlignment - 1) / kAlignment * kAlignment;
  const std::size_t bytes = std::size_t{layers} * layer_voxels(preview);
  std::string frame(data_offset + bytes, '\0');
  std::memcpy(frame.data(), kMagic, sizeof kMagic);
  const auto header_bytes = static_cast<std::uint32_t>(header_text.size());
  std::memcpy(frame.data() + sizeof kMagic, &header_bytes, sizeof header_bytes);
  std::memcpy(frame.data() + sizeof kMagic + sizeof header_bytes, header_text.data(), header_text.size());
  if (bytes != 0) {
    std::memcpy(frame.data() + data_offset, preview.values.data() + std::size_t{layer0} * layer_voxels(preview), bytes);
  }
  return frame;
}

}  // namespace tomolive::daemon
