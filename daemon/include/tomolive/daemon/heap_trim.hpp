// The heap's contract with the operating system: freed memory is kept for reuse while a scan streams, and handed
// back between scans.
//
// A daemon that runs for months allocates and frees the same frame, slice and message sizes scan after scan. glibc's
// allocator keeps freed pages mapped (only the top of each arena is trimmed, and only past a threshold), so a
// long-lived allocation that lands high in an arena pins everything below it: RSS then climbs in steps although the
// live heap is flat (tools/soak under heaptrack: median 13.04 -> 13.09 MB over 613 scans while RSS stepped up 7 % in
// 30 minutes). Calling release_free_heap_memory at each scan end hands every whole free page of every arena back
// (madvise), so RSS follows the live heap.
//
// While a scan streams, the opposite is wanted: ZeroMQ allocates every received message with malloc (a bslz4 W2
// image is about 3 MB, up to 2000 a second over 8 sockets) on its I/O threads, and the decode workers free it. With
// glibc's defaults each such block is either mmapped and unmapped (below the dynamic threshold) or freed to an arena
// top that is then trimmed (madvise/munmap past trim_threshold, twice the dynamic mmap threshold): either way the
// next message faults its ~750 pages in again, and every unmap or trim takes the process's mm lock for writing and
// shoots down TLBs on every core, stalling the faults of all the other receive and decode threads. On the T1-bslz4
// run (8 streams, 16 cores, H100) the same binaries gave 5.6 and 9.1 GB/s with the defaults and 12.8 GB/s with the
// settings that configure_heap_for_streaming makes (as GLIBC_TUNABLES); single runs, while all data connections
// were still read by one ZeroMQ I/O thread (ZmqIngest::Options::io_thread), so the comparison is not clean.
#pragma once

#include <cstddef>

namespace tomolive::daemon {

// Blocks below this many bytes come from the arenas (and are reused there) instead of their own mmap: 32 MiB, the
// largest glibc accepts, above any frame or message the daemon handles (a 4096 x 4096 uint16 frame is exactly this
// size and is mmapped, as before).
inline constexpr std::size_t kStreamingMmapThresholdBytes = std::size_t{32} << 20;
// A free arena top below this many bytes is kept mapped rather than trimmed on free (1 GiB); scan ends still trim
// everything (release_free_heap_memory).
inline constexpr std::size_t kStreamingTrimThresholdBytes = std::size_t{1} << 30;

// Call once at process start, before any thread exists: fixes glibc's mmap threshold at
// kStreamingMmapThresholdBytes (no dynamic adjustment) and its trim threshold at kStreamingTrimThresholdBytes, so
// that the blocks freed while a scan streams are reused without page faults. The cost: within a scan, RSS stays at
// the scan's peak heap (free blocks are not returned before release_free_heap_memory at the scan's end). Returns
// false where the C library is not glibc, or it refused a setting (the defaults then stay). An environment's
// GLIBC_TUNABLES for the same settings are overridden.
bool configure_heap_for_streaming();

// Releases free heap pages of all allocator arenas to the OS. A no-op where the C library has no malloc_trim.
// Takes the arenas' locks briefly (about a millisecond for tens of megabytes): call it between scans, not per frame.
void release_free_heap_memory();

}  // namespace tomolive::daemon
