// Chooses and creates the reconstruction engine: CUDA when asked for (or, with "auto", when a usable device
// exists), otherwise the CPU engine, with the reason for the choice for the log.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tomolive/daemon/frame_buffer_pool.hpp"
#include "tomolive/kernels/engine.hpp"

namespace tomolive::daemon {

enum class EngineChoice { automatic, cpu, cuda };

struct EngineOptions {
  EngineChoice choice = EngineChoice::automatic;
  std::uint64_t cpu_memory_limit_bytes = 0;  // 0 = the CPU engine's default (half of physical memory)
  unsigned cpu_threads = 0;                  // 0 = all cores
};

struct EngineSelection {
  std::unique_ptr<kernels::Engine> engine;
  std::string reason;  // e.g. "cpu engine: no usable CUDA device (driver version is insufficient)"
  // Memory the engine reads frames from fastest (page-locked for CUDA); empty when ZeroMQ's own buffers are best.
  FrameBufferPool::Allocator frame_allocator;
};

// Plain host memory (aligned for any pixel type), for ingest copies with an engine that has no preference.
std::unique_ptr<HostBuffer> allocate_plain_buffer(std::size_t bytes);

// Throws std::runtime_error when "cuda" is asked for and no usable device exists or CUDA was not built in.
EngineSelection select_engine(const EngineOptions& options);

// Makes an engine: the daemon calls it once at start and again whenever the engine is lost
// (kernels::EngineLostError). select_engine by default; tests give any kernels::Engine (e.g. a fault-injecting one).
// May throw (std::runtime_error, kernels::EngineError) when no engine can be made.
using EngineFactory = std::function<EngineSelection()>;

}  // namespace tomolive::daemon
