#include "tomolive/daemon/heap_trim.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>  // defines __GLIBC__ where the C library is glibc
#include <fstream>
#include <memory>
#include <vector>

namespace tomolive::daemon {
namespace {

// glibc's allocator is in use (sanitizers replace malloc, and malloc_trim applies to glibc only).
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define TOMOLIVE_GLIBC_MALLOC 1

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

}  // namespace
}  // namespace tomolive::daemon
