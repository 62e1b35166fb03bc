#include "tomolive/kernels/engine_rows.hpp"

#include "tomolive/kernels/engine.hpp"

namespace tomolive::kernels {

EngineRows engine_rows(const ScanGeometry& geometry) {
  const DetectorSlab& slab = geometry.slab;
  if (slab.whole()) return EngineRows::whole(geometry.rows);
  return {slab.detector_rows, slab.first_row, geometry.rows, {slab.owned_begin, slab.owned_end}};
}

}  // namespace tomolive::kernels
