#include "tomolive/daemon/memory_plan_format.hpp"

#include "tomolive/kernels/plan_arithmetic.hpp"

namespace tomolive::daemon {
namespace {

std::string mib(std::uint64_t bytes) { return kernels::format_mib(bytes) + " MiB"; }

std::string parts(const kernels::EngineMemoryPlan& plan) {
  return "store " + mib(plan.store_bytes) + " (" + plan.store_precision + "), corrected store " +
         mib(plan.corrected_store_bytes) + ", slices " + mib(plan.slice_bytes) + ", other " + mib(plan.other_bytes);
}

}  // namespace

std::string describe(const kernels::EngineMemoryPlan& plan) {
  return parts(plan) + ", total " + mib(plan.total_bytes) + " of " + mib(plan.available_bytes) + " available on " +
         plan.device;
}

std::string describe_shortfall(const kernels::EngineMemoryPlan& plan) {
  return "needs " + mib(plan.total_bytes) + " (" + parts(plan) + ") but only " + mib(plan.available_bytes) +
         " are available on " + plan.device;
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
  return out;
}

}  // namespace tomolive::daemon
