// Preview frames for browsers (PROTOCOL.md 14.6): the live 3D preview quantized to 8 bits over its finite range, and
// cut into chunks of whole layers, each one binary WebSocket message of at most about kChunkBytes of voxels.
// Pure functions; used by the engine thread (quantize_preview) and the WebSocket sessions (encode_preview_chunk).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "tomolive/daemon/preview_board.hpp"

namespace tomolive::daemon {

inline constexpr std::size_t kPreviewChunkBytes = 256 * 1024;

// Fills out.values (layers x rows x cols, as out's shape says), value_min, value_max and non_finite from `voxels`
// (1/pixel): q = round(255 (v - min) / (max - min)), 0 for a non-finite value or an empty range.
void quantize_preview(std::span<const float> voxels, PreviewSnapshot& out);

// Layers per chunk: as many whole layers as fit kPreviewChunkBytes (at least one), and the chunks of a snapshot.
std::uint32_t preview_chunk_layers(const PreviewSnapshot& preview);
std::uint32_t preview_chunk_count(const PreviewSnapshot& preview);

// The whole binary message of chunk `chunk` (< preview_chunk_count): magic "TLV1", uint32 header length, JSON
// header, zero padding to 8 bytes, then the chunk's layers as uint8 values. sent_ns: ns since the Unix epoch.
std::string encode_preview_chunk(const PreviewSnapshot& preview, std::uint32_t chunk, std::int64_t sent_ns);

}  // namespace tomolive::daemon
