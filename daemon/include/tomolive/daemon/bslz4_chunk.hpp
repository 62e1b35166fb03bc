// Bslz4Chunk: a frame's pixels as the detector compressed them, bitshuffle + LZ4 in the bitshuffle HDF5 filter's
// framing (8-byte big-endian uncompressed size, 4-byte big-endian block size, then the blocks: DECTRIS "bslz4"),
// kept as they arrived so that a recording stores them as they are, with no re-compression (PROTOCOL.md 18).
// The bytes stay inside the received message: the chunk shares ownership of that message, so it copies nothing
// and stays valid however long a writer's queue keeps it (the engine's reusable frame buffers are not involved).
// Immutable once made; safe to share between threads.
#pragma once

#include <cstddef>
#include <memory>
#include <span>

namespace tomolive::daemon {

struct Bslz4Chunk {
  std::shared_ptr<const std::byte> data;  // the first byte; aliases (and keeps alive) the message holding it
  std::size_t size = 0;                   // bytes

  explicit operator bool() const { return data != nullptr; }
  std::span<const std::byte> bytes() const { return {data.get(), size}; }
};

}  // namespace tomolive::daemon
