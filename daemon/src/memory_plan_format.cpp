#include "tomolive/daemon/memory_plan_format.hpp"

#include "tomolive/kernels/plan_arithmetic.hpp"

namespace tomolive::daemon {
namespace {

std::string mib(std::uint64_t bytes) { return kernels::format_mib(bytes) + " MiB"; }

std::string parts(const kernels::EngineMemoryPlan& plan) {
  return "store " + mib(plan.store_bytes) + " (" + plan.store_precision + "), corrected store " +
         mib(plan.corrected_store_bytes) + ", slices " + mib(plan.slice_bytes) + ", other " + mib(plan.other_bytes);
}

// "1 slab", "3 slabs".
std::string slab_count(const kernels::EngineMemoryPlan& plan) {
  return std::to_string(plan.slabs.size()) + (plan.slabs.size() == 1 ? " slab" : " slabs");
}

}  // namespace

std::string describe(const kernels::EngineMemoryPlan& plan) {
  if (plan.slabs.empty()) {
    return parts(plan) + ", total " + mib(plan.total_bytes) + " of " + mib(plan.available_bytes) + " available on " +
           plan.device;
  }
  std::string text = "total " + mib(plan.total_bytes) + " over " + slab_count(plan) + " (" +
                     (plan.fits_one_device ? "it would also fit on one device"
                                           : "it fits only across several devices, not on one") +
                     ")";
  for (std::size_t k = 0; k < plan.slabs.size(); ++k) {
    text += "; slab " + std::to_string(k) + ": " + describe(plan.slabs[k]);
  }
  return text;
}

std::string describe_shortfall(const kernels::EngineMemoryPlan& plan) {
  if (plan.slabs.empty()) {
    return "needs " + mib(plan.total_bytes) + " (" + parts(plan) + ") but only " + mib(plan.available_bytes) +
           " are available on " + plan.device;
  }
  std::string text = "needs " + mib(plan.total_bytes) + " over " + slab_count(plan);
  for (std::size_t k = 0; k < plan.slabs.size(); ++k) {
    if (!plan.slabs[k].fits()) text += "; slab " + std::to_string(k) + " " + describe_shortfall(plan.slabs[k]);
  }
  return text;
}

protocol::MemoryPlan to_protocol(const kernels::EngineMemoryPlan& plan) {
  protocol::MemoryPlan out;
  out.device = plan.device;
  out.store_precision = plan.store_precision;
  out.store_bytes = plan.store_bytes;
  out.corrected_store_bytes = plan.corrected_store_bytes;
  out.slice_bytes = plan.slice_bytes;
  out.preview_bytes = plan.preview_bytes;
  out.other_bytes = plan.other_bytes;
  out.total_bytes = plan.total_bytes;
  out.available_bytes = plan.available_bytes;
  for (const kernels::EngineMemoryPlan& slab : plan.slabs) out.slabs.push_back(to_protocol(slab));
  out.fits_one_device = plan.slabs.empty() ? plan.fits() : plan.fits_one_device;
  return out;
}

}  // namespace tomolive::daemon
