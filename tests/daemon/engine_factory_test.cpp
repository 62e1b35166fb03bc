// select_engine (engine_factory.hpp) on any machine: CPU engines over row slabs become one SlabEngine, one stays the
// plain engine, and a --gpus list naming a device that is not there stops the start with the reason.
#include "tomolive/daemon/engine_factory.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "tomolive/kernels/slab_engine.hpp"

namespace tomolive::daemon {
namespace {

EngineOptions cpu_options(unsigned slabs) {
  EngineOptions options;
  options.choice = EngineChoice::cpu;
  options.cpu_threads = 2;
  options.cpu_memory_limit_bytes = 64ull << 20;
  options.cpu_slabs = slabs;
  options.halo_rows = 6;
  return options;
}

TEST(EngineFactory, SeveralCpuSlabsAreOneSlabEngineWithTheHaloAsked) {
  const EngineSelection selection = select_engine(cpu_options(3));
  const auto* slabs = dynamic_cast<const kernels::SlabEngine*>(selection.engine.get());
  ASSERT_NE(slabs, nullptr) << selection.reason;
  EXPECT_EQ(slabs->halo_rows(), 6u);
  EXPECT_TRUE(slabs->slabs().empty()) << "no scan yet";
  EXPECT_NE(selection.reason.find("3 CPU engines over row slabs"), std::string::npos) << selection.reason;
  EXPECT_FALSE(selection.frame_allocator) << "CPU engines read frames from any memory";
}

TEST(EngineFactory, OneCpuSlabIsThePlainEngine) {
  const EngineSelection selection = select_engine(cpu_options(1));
  EXPECT_EQ(dynamic_cast<const kernels::SlabEngine*>(selection.engine.get()), nullptr);
  EXPECT_EQ(selection.engine->name(), "cpu");
  EXPECT_EQ(selection.reason, "cpu engine: chosen with --engine cpu");
}

TEST(EngineFactory, AListedDeviceThatIsNotThereStopsTheStartWithTheReason) {
  EngineOptions options;
  options.cuda_devices = {1023};  // no machine has it
  try {
    select_engine(options);
    FAIL() << "an engine was made for CUDA device 1023";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("--gpus 1023"), std::string::npos) << message;
    EXPECT_NE(message.find("CUDA device"), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace tomolive::daemon
