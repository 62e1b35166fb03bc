// SlabWatch: what the daemon shows of an engine over several devices (kernels::SlabEngine, PROTOCOL.md 10.13): its
// slabs for get_status (engine_slabs), and each slab whose engine became lost, found once so that it is reported
// once. With an engine of one device it shows nothing.
//
// Thread safety: none; the engine thread owns it (it reads the engine).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "tomolive/kernels/slab_engine.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

class SlabWatch {
 public:
  // A lost slab: its index (top rows first) and its status.
  struct LostSlab {
    std::size_t index = 0;
    kernels::SlabStatus slab;
  };

  // Watches `engine` (which must outlive the watch or be replaced by the next call): a SlabEngine is watched, any
  // other engine is not. A new engine (after the daemon rebuilt a lost one) starts with no slab reported.
  void watch(kernels::Engine& engine);

  // Whether the slabs or their halo may have changed since the last call (SlabEngine::slabs_version; true once after
  // watch()); false, at no cost, for an engine that is not a SlabEngine.
  bool changed();

  // The slabs lost now that were not returned before: each lost slab once (a slab is its engine, rows and reason:
  // a lost slab stays listed in later scans and is not returned again). Empty when the engine is not a SlabEngine.
  std::vector<LostSlab> newly_lost();

  // The slabs as get_status shows them; nullopt when the engine is not a SlabEngine.
  std::optional<protocol::EngineSlabsStatus> status() const;

 private:
  using SlabKey = std::tuple<std::string, std::uint32_t, std::uint32_t, std::string>;

  kernels::SlabEngine* engine_ = nullptr;
  std::optional<std::uint64_t> seen_version_;  // slabs_version at the last changed() that said true
  std::set<SlabKey> reported_;
};

// "slab 1 (detector rows 16..31 of engine cpu)": a slab's name in logs and events.
std::string describe(const SlabWatch::LostSlab& lost);

}  // namespace tomolive::daemon
