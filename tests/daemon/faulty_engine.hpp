// FaultyEngine: a kernels::Engine for tests that forwards every call to a real CPU engine and, on command, makes
// five of them fail: begin_scan, add_projection, set_processing, copy_slice and sweep_center (LevelDB's EnvWrapper
// and fault_injection_test are the model). A fault throws EngineError, throws EngineLostError (the engine is
// unusable, as after a sticky CUDA error), stalls the call until the test releases it, or corrupts the call's output.
//
// The faults live in an EngineFaults shared by the test and every engine the daemon's factory makes, so a fault can
// be set while the daemon runs and survives the daemon rebuilding its engine.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>

#include "tomolive/daemon/engine_factory.hpp"
#include "tomolive/kernels/engine.hpp"

namespace tomolive::testing {

enum class EngineCall : std::uint8_t {
  begin_scan,
  add_projection,
  set_processing,
  copy_slice,
  sweep_center,
  reconstruct_volume
};
inline constexpr std::size_t kEngineCallCount = 6;

enum class Fault : std::uint8_t {
  none,
  error,    // throws kernels::EngineError naming the call ("injected fault: ...")
  lost,     // throws kernels::EngineLostError naming the call
  stall,    // blocks the call until EngineFaults::release_stalls(), then runs it
  corrupt,  // copy_slice and sweep_center: the call runs, then the first value of its output becomes NaN
  slow,     // waits EngineFaults::set_slow_delay's time, then runs the call (a slow engine, on purpose)
};

// The faults to inject. Thread-safe: the test sets them, the engine thread meets them.
class EngineFaults {
 public:
  // The next `times` calls of `call`, after `skip` more calls that run normally, meet `fault` (replacing any fault
  // set for that call before).
  void inject(EngineCall call, Fault fault, std::uint32_t skip = 0, std::uint32_t times = 1);
  // How long a call that meets Fault::slow waits before it runs (default 0).
  void set_slow_delay(std::chrono::milliseconds delay);
  // Opens the latch: every stalled call goes on, and later stall faults no longer block.
  void release_stalls();
  // Blocks until a call is stalled; false when none is within `timeout`.
  bool wait_until_stalled(std::chrono::milliseconds timeout);
  // The next `count` engines the factory is asked for are not made (it throws std::runtime_error, as when no
  // device is left).
  void fail_builds(std::uint32_t count);
  // Engines made by faulty_engine_factory with these faults.
  std::uint32_t engines_made() const;

  // For FaultyEngine: the fault this call of `call` meets (used up by it); blocks here while the fault is a stall
  // and the latch is closed.
  Fault meet(EngineCall call);
  // For the factory: counts an engine made, or throws when fail_builds asked for a failure.
  void build_engine();

 private:
  struct Plan {
    Fault fault = Fault::none;
    std::uint32_t skip = 0;
    std::uint32_t times = 0;
  };

  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::array<Plan, kEngineCallCount> plans_{};
  bool stalls_released_ = false;
  std::chrono::milliseconds slow_delay_{0};
  std::uint32_t stalled_ = 0;  // calls blocked in meet() now
  std::uint32_t builds_to_fail_ = 0;
  std::uint32_t engines_made_ = 0;
};

// `inner` wrapped in a FaultyEngine that meets `faults` (e.g. one slab's engine of a kernels::SlabEngine).
std::unique_ptr<kernels::Engine> make_faulty_engine(std::unique_ptr<kernels::Engine> inner,
                                                    std::shared_ptr<EngineFaults> faults);

// An engine factory for daemon::DaemonConfig::engine_factory: CPU engines made with `options` (choice ignored), each
// wrapped in a FaultyEngine that meets `faults`.
daemon::EngineFactory faulty_engine_factory(std::shared_ptr<EngineFaults> faults, daemon::EngineOptions options);

}  // namespace tomolive::testing
