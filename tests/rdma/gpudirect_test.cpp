// GPUDirect RDMA detection reads the loaded kernel modules and the kernel release.
#include <gtest/gtest.h>

#include <filesystem>

#include "tomolive/rdma/gpudirect.hpp"

namespace tomolive::rdma {
namespace {

class GpuDirectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("tomolive-gpudirect-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void load(const char* module) { std::filesystem::create_directories(root_ / module); }
  std::filesystem::path root_;
};

TEST_F(GpuDirectTest, NothingLoadedIsAbsent) {
  const GpuDirectSupport support = detect_gpudirect(root_, "6.1.0");
  EXPECT_FALSE(support.peer_memory);
  EXPECT_FALSE(support.dma_buf);
  EXPECT_NE(support.description.find("absent"), std::string::npos);
}

TEST_F(GpuDirectTest, PeerMemoryModuleIsFound) {
  load("nvidia");
  load("nvidia_peermem");
  const GpuDirectSupport support = detect_gpudirect(root_, "6.1.0");
  EXPECT_TRUE(support.peer_memory);
  EXPECT_TRUE(support.dma_buf);
  EXPECT_NE(support.description.find("nvidia-peermem loaded"), std::string::npos);
}

TEST_F(GpuDirectTest, DmaBufNeedsTheDriverAndKernel512) {
  load("nvidia");
  EXPECT_TRUE(detect_gpudirect(root_, "5.12.0").dma_buf);
  const GpuDirectSupport old = detect_gpudirect(root_, "5.10.0-28-amd64");
  EXPECT_FALSE(old.dma_buf);
  EXPECT_NE(old.description.find("predates dma-buf"), std::string::npos);
}

}  // namespace
}  // namespace tomolive::rdma
