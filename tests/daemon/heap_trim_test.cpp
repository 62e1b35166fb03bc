#include "tomolive/daemon/heap_trim.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>  // defines __GLIBC__ where the C library is glibc
#include <cstring>
#include <fstream>
#include <memory>
#include <vector>

namespace tomolive::daemon {
namespace {

// glibc's allocator is in use (sanitizers replace malloc, and malloc_trim applies to glibc only).
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define TOMOLIVE_GLIBC_MALLOC 1
#include <malloc.h>

// Where blocks are stored so that the compiler cannot elide a malloc/free pair.
void* volatile g_block_sink = nullptr;

// A block of `bytes` from malloc, its pages touched (resident).
void* touched_block(std::size_t bytes) {
  void* block = std::malloc(bytes);
  if (block != nullptr) std::memset(block, 1, bytes);
  g_block_sink = block;
  return block;
}

// Resident pages of this process, bytes (/proc/self/statm's second field).
std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size_pages = 0;
  std::size_t resident_pages = 0;
  statm >> size_pages >> resident_pages;
  return resident_pages * 4096;
}
#endif

TEST(HeapTrim, FreedPagesBelowALiveBlockGoBackToTheSystem) {
#if !defined(TOMOLIVE_GLIBC_MALLOC)
  GTEST_SKIP() << "needs glibc's allocator (sanitizers replace malloc; malloc_trim does not apply)";
#else
  // 64 MiB in 16 KiB blocks (below the mmap threshold: they come from the heap), touched so that they are resident,
  // then all freed but the last, which pins the top of the heap so that the usual top trim cannot shrink it.
  constexpr std::size_t kBlock = 16 * 1024;
  constexpr std::size_t kBlocks = 4096;
  std::vector<std::unique_ptr<std::byte[]>> blocks;
  blocks.reserve(kBlocks);
  for (std::size_t i = 0; i < kBlocks; ++i) {
    blocks.push_back(std::make_unique<std::byte[]>(kBlock));
    for (std::size_t b = 0; b < kBlock; b += 4096) blocks.back()[b] = std::byte{1};
  }
  std::unique_ptr<std::byte[]> pinned = std::move(blocks.back());
  blocks.clear();
  blocks.shrink_to_fit();
  const std::size_t before = resident_bytes();

  release_free_heap_memory();

  const std::size_t after = resident_bytes();
  EXPECT_GT(before, after + kBlocks * kBlock / 2) << "resident before " << before << " B, after " << after << " B";
  EXPECT_EQ(pinned[0], std::byte{1});
#endif
}

// Each test is its own process (gtest_discover_tests), so the settings below start from glibc's defaults, where a
// block of 4 MiB would be mmapped and a free top of 16 MiB trimmed (the dynamic thresholds start at 128 KiB).
TEST(HeapTrim, StreamingKeepsFrameSizedBlocksInTheArenasAndFreedTopsMapped) {
#if !defined(TOMOLIVE_GLIBC_MALLOC) || !__GLIBC_PREREQ(2, 33)
  GTEST_SKIP() << "needs glibc's allocator and mallinfo2 (glibc 2.33)";
#else
  ASSERT_TRUE(configure_heap_for_streaming());

  // A decoded W2 frame (1008 x 2016 uint16) is about 4 MB: it comes from an arena, not from a mapping of its own.
  const std::size_t mapped_before = mallinfo2().hblks;
  void* frame = touched_block(std::size_t{4} << 20);
  ASSERT_NE(frame, nullptr);
  EXPECT_EQ(mallinfo2().hblks, mapped_before) << "a 4 MiB block was mmapped";
  std::free(frame);

  // Freed at the top of the main arena, 16 MiB stay mapped for the next blocks (keepcost: the releasable top).
  void* message = touched_block(std::size_t{16} << 20);
  ASSERT_NE(message, nullptr);
  std::free(message);
  EXPECT_GE(mallinfo2().keepcost, std::size_t{16} << 20) << "the freed top was trimmed";

  // Between scans, everything free still goes back.
  release_free_heap_memory();
  EXPECT_LT(mallinfo2().keepcost, std::size_t{1} << 20);
#endif
}

}  // namespace
}  // namespace tomolive::daemon
