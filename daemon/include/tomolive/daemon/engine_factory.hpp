// Chooses and creates the reconstruction engine: CUDA when asked for (or, with "auto", when a usable device
// exists), otherwise the CPU engine, with the reason for the choice for the log. With several CUDA devices (or
// several CPU slabs) the engine is a kernels::SlabEngine over one engine per device, each holding a slab of the
// detector's rows (PROTOCOL.md 10.13); with one, the plain engine.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tomolive/daemon/frame_buffer_pool.hpp"
#include "tomolive/kernels/engine.hpp"
#include "tomolive/kernels/slab_engine.hpp"

namespace tomolive::daemon {

enum class EngineChoice { automatic, cpu, cuda };

struct EngineOptions {
  EngineChoice choice = EngineChoice::automatic;
  std::uint64_t cpu_memory_limit_bytes = 0;  // 0 = the CPU engine's default (half of physical memory)
  unsigned cpu_threads = 0;                  // 0 = all cores
  // --gpus: the CUDA devices to use, by index, each at most once; empty: every usable device. A device listed that
  // does not exist or cannot be used makes select_engine throw.
  std::vector<int> cuda_devices;
  // --cpu-slabs: CPU engines, each over a slab of the detector's rows (the slab path on any machine); 1: one plain
  // CPU engine. The memory limit and the threads are shared out among them.
  unsigned cpu_slabs = 1;
  // --gpu-halo-rows: rows each slab engine reads from each neighbouring slab (SlabEngineOptions::halo_rows).
  std::uint32_t halo_rows = kernels::kDefaultHaloRows;
};

struct EngineSelection {
  std::unique_ptr<kernels::Engine> engine;
  std::string reason;  // e.g. "cpu engine: no usable CUDA device (driver version is insufficient)"
  // Memory the engine reads frames from fastest (page-locked for CUDA); empty when ZeroMQ's own buffers are best.
  FrameBufferPool::Allocator frame_allocator;
};

// Plain host memory (aligned for any pixel type), for ingest copies with an engine that has no preference.
std::unique_ptr<HostBuffer> allocate_plain_buffer(std::size_t bytes);

// Throws std::runtime_error when "cuda" is asked for and no usable device exists or CUDA was not built in, and when
// options.cuda_devices names a device that does not exist or cannot be used.
EngineSelection select_engine(const EngineOptions& options);

// Makes an engine: the daemon calls it once at start and again whenever the engine is lost
// (kernels::EngineLostError). select_engine by default; tests give any kernels::Engine (e.g. a fault-injecting one).
// May throw (std::runtime_error, kernels::EngineError) when no engine can be made.
using EngineFactory = std::function<EngineSelection()>;

}  // namespace tomolive::daemon
