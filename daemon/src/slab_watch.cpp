#include "tomolive/daemon/slab_watch.hpp"

namespace tomolive::daemon {

void SlabWatch::watch(kernels::Engine& engine) {
  engine_ = dynamic_cast<kernels::SlabEngine*>(&engine);
  seen_version_.reset();
  reported_.clear();
}

bool SlabWatch::changed() {
  if (engine_ == nullptr) return false;
  const std::uint64_t version = engine_->slabs_version();
  if (seen_version_ == version) return false;
  seen_version_ = version;
  return true;
}

std::vector<SlabWatch::LostSlab> SlabWatch::newly_lost() {
  std::vector<LostSlab> lost;
  if (engine_ == nullptr) return lost;
  const std::vector<kernels::SlabStatus> slabs = engine_->slabs();
  for (std::size_t k = 0; k < slabs.size(); ++k) {
    const kernels::SlabStatus& slab = slabs[k];
    if (!slab.lost) continue;
    if (reported_.emplace(slab.engine, slab.rows.owned_row0, slab.rows.owned_rows, slab.lost_reason).second) {
      lost.push_back({k, slab});
    }
  }
  return lost;
}

std::optional<protocol::EngineSlabsStatus> SlabWatch::status() const {
  if (engine_ == nullptr) return std::nullopt;
  protocol::EngineSlabsStatus status;
  status.halo_rows = engine_->halo_rows();
  status.halo_needed_rows = engine_->halo_needed_rows();
  status.edge_rows_approximate = status.halo_needed_rows > status.halo_rows;
  for (const kernels::SlabStatus& slab : engine_->slabs()) {
    status.slabs.push_back({slab.engine,
                            {slab.rows.owned_row0, slab.rows.owned_rows},
                            {slab.rows.first_row, slab.rows.rows},
                            slab.lost,
                            slab.lost_reason});
    if (slab.lost) ++status.lost;
  }
  return status;
}

std::string describe(const SlabWatch::LostSlab& lost) {
  const kernels::SlabRows& rows = lost.slab.rows;
  return "slab " + std::to_string(lost.index) + " (detector rows " + std::to_string(rows.owned_row0) + ".." +
         std::to_string(rows.owned_row0 + rows.owned_rows - 1) + " on " + lost.slab.engine + ")";
}

}  // namespace tomolive::daemon
