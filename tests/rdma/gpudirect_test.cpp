// GPUDirect RDMA detection through its probe: a fake /sys/module, fake exported symbols and a fake CUDA device
// answer; and the real host, whose answer must at least name both routes.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>

#include "tomolive/rdma/gpudirect.hpp"

namespace tomolive::rdma {
namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class GpuDirectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("tomolive-gpudirect-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    probe_.sys_module = root_;
    probe_.kernel_release = "6.1.0-18-amd64";
    probe_.exports = [this](const std::string& library, const std::string& symbol) {
      return symbols_.contains(library + ":" + symbol);
    };
    probe_.cuda_dma_buf_supported = [this](std::string& why) {
      ++device_questions_;
      why = "fake: no device";
      return device_answer_;
    };
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void load(const char* module) { std::filesystem::create_directories(root_ / module); }
  // Everything the dma-buf route needs from the libraries and the device.
  void offer_dma_buf() {
    symbols_ = {"libibverbs.so.1:ibv_reg_dmabuf_mr", "libcuda.so.1:cuMemGetHandleForAddressRange"};
    device_answer_ = true;
  }

  std::filesystem::path root_;
  GpuDirectProbe probe_;
  std::set<std::string> symbols_;
  std::optional<bool> device_answer_;
  int device_questions_ = 0;
};

TEST_F(GpuDirectTest, NothingPresentIsNotPossibleAndSaysWhatIsMissing) {
  const GpuDirectSupport support = detect_gpudirect(probe_);
  EXPECT_FALSE(support.peer_memory);
  EXPECT_FALSE(support.dma_buf);
  EXPECT_FALSE(support.possible());
  EXPECT_TRUE(contains(support.description, "peer memory: no nvidia_peermem or nv_peer_mem module in " +
                                                root_.string()))
      << support.description;
  EXPECT_TRUE(contains(support.description, "dma-buf: libibverbs.so.1 has no ibv_reg_dmabuf_mr")) << support.description;
  EXPECT_EQ(device_questions_, 0);  // the device is not asked when the libraries cannot do it
}

TEST_F(GpuDirectTest, PeerMemoryModuleIsFound) {
  load("nvidia_peermem");
  const GpuDirectSupport support = detect_gpudirect(probe_);
  EXPECT_TRUE(support.peer_memory);
  EXPECT_FALSE(support.dma_buf);
  EXPECT_TRUE(support.possible());
  EXPECT_TRUE(contains(support.description, "peer memory: nvidia-peermem loaded")) << support.description;
}

TEST_F(GpuDirectTest, LegacyPeerMemoryModuleIsFound) {
  load("nv_peer_mem");
  const GpuDirectSupport support = detect_gpudirect(probe_);
  EXPECT_TRUE(support.peer_memory);
  EXPECT_TRUE(contains(support.description, "nv_peer_mem loaded")) << support.description;
}

TEST_F(GpuDirectTest, DmaBufNeedsEverySymbolTheDeviceAndTheKernel) {
  offer_dma_buf();
  const GpuDirectSupport support = detect_gpudirect(probe_);
  EXPECT_TRUE(support.dma_buf);
  EXPECT_FALSE(support.peer_memory);
  EXPECT_TRUE(support.possible());
  EXPECT_TRUE(contains(support.description, "dma-buf: possible")) << support.description;
  EXPECT_EQ(device_questions_, 1);
}

TEST_F(GpuDirectTest, DmaBufWithoutTheCudaDriverSymbol) {
  offer_dma_buf();
  symbols_.erase("libcuda.so.1:cuMemGetHandleForAddressRange");
  const GpuDirectSupport support = detect_gpudirect(probe_);
  EXPECT_FALSE(support.dma_buf);
  EXPECT_TRUE(contains(support.description, "no CUDA driver with cuMemGetHandleForAddressRange"))
      << support.description;
  EXPECT_EQ(device_questions_, 0);
}

TEST_F(GpuDirectTest, DmaBufOnAnOldKernel) {
  offer_dma_buf();
  probe_.kernel_release = "5.10.0-28-amd64";
  const GpuDirectSupport support = detect_gpudirect(probe_);
  EXPECT_FALSE(support.dma_buf);
  EXPECT_TRUE(contains(support.description, "kernel 5.10.0-28-amd64 predates RDMA dma-buf import"))
      << support.description;
}

TEST_F(GpuDirectTest, DmaBufWhenTheDeviceSaysNoOrCannotBeAsked) {
  offer_dma_buf();
  device_answer_ = false;
  GpuDirectSupport support = detect_gpudirect(probe_);
  EXPECT_FALSE(support.dma_buf);
  EXPECT_TRUE(contains(support.description, "CU_DEVICE_ATTRIBUTE_DMA_BUF_SUPPORTED is 0")) << support.description;

  device_answer_.reset();
  support = detect_gpudirect(probe_);
  EXPECT_FALSE(support.dma_buf);
  EXPECT_TRUE(contains(support.description, "CUDA device 0 could not be asked: fake: no device"))
      << support.description;
}

// The real probe on this machine: whatever it finds, both routes are named, and the answer agrees with sysfs.
TEST(GpuDirectHost, RealProbeNamesBothRoutes) {
  const GpuDirectSupport support = detect_gpudirect();
  EXPECT_TRUE(contains(support.description, "peer memory: ")) << support.description;
  EXPECT_TRUE(contains(support.description, "; dma-buf: ")) << support.description;
  EXPECT_EQ(support.peer_memory, std::filesystem::exists("/sys/module/nvidia_peermem") ||
                                     std::filesystem::exists("/sys/module/nv_peer_mem"));
}

}  // namespace
}  // namespace tomolive::rdma
