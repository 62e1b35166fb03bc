// Wording and wire form of an engine's memory plan (logged at scan begin, returned by get_status, and quoted when
// a scan is refused because it does not fit).
#pragma once

#include <string>

#include "tomolive/kernels/engine.hpp"
#include "tomolive/protocol/messages.hpp"

namespace tomolive::daemon {

// "store 48.0 MiB (float32), corrected store 48.0 MiB, slices 0.8 MiB, other 1.2 MiB, total 98.0 MiB of 12000.0 MiB
// available on cpu"; a plan over several slabs: "total 98.0 MiB over 2 slabs (it fits only across several devices,
// not on one); slab 0: store ...; slab 1: ..." (or "it would also fit on one device").
std::string describe(const kernels::EngineMemoryPlan& plan);
// "needs 50000.0 MiB (store ..., slices ..., other ...) but only 12000.0 MiB are available on cpu"; over several
// slabs: "needs 50000.0 MiB over 2 slabs; slab 1 needs ..." for each slab that does not fit.
std::string describe_shortfall(const kernels::EngineMemoryPlan& plan);
// The wire form; fits_one_device is the plan's fits() for a plan of one device.
protocol::MemoryPlan to_protocol(const kernels::EngineMemoryPlan& plan);

}  // namespace tomolive::daemon
