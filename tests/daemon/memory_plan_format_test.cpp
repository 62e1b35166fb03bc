// The memory plan's wording and wire form (memory_plan_format.hpp), for one device and for a plan over several
// slabs (PROTOCOL.md 10.13): a scan that fits only across several devices says so.
#include "tomolive/daemon/memory_plan_format.hpp"

#include <string>

#include <gtest/gtest.h>

namespace tomolive::daemon {
namespace {

kernels::EngineMemoryPlan device_plan(const std::string& device, std::uint64_t total, std::uint64_t available) {
  kernels::EngineMemoryPlan plan;
  plan.device = device;
  plan.store_precision = "float16";
  plan.store_bytes = total / 2;
  plan.corrected_store_bytes = total / 2;
  plan.total_bytes = total;
  plan.available_bytes = available;
  return plan;
}

// Two slabs' plans and their sums, as a SlabEngine makes them.
kernels::EngineMemoryPlan two_slabs(std::uint64_t each, std::uint64_t available_each, bool fits_one_device) {
  kernels::EngineMemoryPlan plan;
  plan.slabs = {device_plan("cuda:0 H100", each, available_each), device_plan("cuda:1 H100", each, available_each)};
  plan.device = "cuda:0 H100 rows 0..1023; cuda:1 H100 rows 1024..2047";
  plan.store_precision = "float16";
  plan.total_bytes = 2 * each;
  plan.available_bytes = 2 * available_each;
  plan.fits_one_device = fits_one_device;
  return plan;
}

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

TEST(MemoryPlanFormat, OneDeviceIsDescribedAsBeforeAndFitsOneDeviceWhenItFits) {
  const kernels::EngineMemoryPlan plan = device_plan("cpu (host memory)", 2 * kGiB, 8 * kGiB);
  EXPECT_EQ(describe(plan).find("slab"), std::string::npos) << describe(plan);
  EXPECT_NE(describe(plan).find("available on cpu (host memory)"), std::string::npos) << describe(plan);
  const protocol::MemoryPlan wire = to_protocol(plan);
  EXPECT_TRUE(wire.slabs.empty());
  EXPECT_TRUE(wire.fits_one_device);
  EXPECT_FALSE(to_protocol(device_plan("cpu (host memory)", 9 * kGiB, 8 * kGiB)).fits_one_device);
}

TEST(MemoryPlanFormat, AScanThatFitsOnlyAcrossSeveralDevicesSaysSo) {
  const kernels::EngineMemoryPlan plan = two_slabs(60 * kGiB, 79 * kGiB, false);
  ASSERT_TRUE(plan.fits());
  const std::string text = describe(plan);
  EXPECT_NE(text.find("over 2 slabs (it fits only across several devices, not on one)"), std::string::npos) << text;
  EXPECT_NE(text.find("slab 0: "), std::string::npos) << text;
  EXPECT_NE(text.find("slab 1: "), std::string::npos) << text;
  EXPECT_NE(text.find("available on cuda:1 H100"), std::string::npos) << text;
  const protocol::MemoryPlan wire = to_protocol(plan);
  ASSERT_EQ(wire.slabs.size(), 2u);
  EXPECT_EQ(wire.slabs[1].device, "cuda:1 H100");
  EXPECT_EQ(wire.slabs[1].total_bytes, 60 * kGiB);
  EXPECT_FALSE(wire.fits_one_device);
  EXPECT_NE(describe(two_slabs(kGiB, 79 * kGiB, true)).find("it would also fit on one device"), std::string::npos);
}

TEST(MemoryPlanFormat, AShortfallNamesTheSlabsThatDoNotFit) {
  kernels::EngineMemoryPlan plan = two_slabs(60 * kGiB, 79 * kGiB, false);
  plan.slabs[1].available_bytes = 50 * kGiB;
  ASSERT_FALSE(plan.fits());
  const std::string text = describe_shortfall(plan);
  EXPECT_EQ(text.find("slab 0"), std::string::npos) << "slab 0 fits: " << text;
  EXPECT_NE(text.find("slab 1 needs"), std::string::npos) << text;
  EXPECT_NE(text.find("are available on cuda:1 H100"), std::string::npos) << text;
}

}  // namespace
}  // namespace tomolive::daemon
