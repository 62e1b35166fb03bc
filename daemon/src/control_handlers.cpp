#include "tomolive/daemon/control_handlers.hpp"

#include <optional>
#include <utility>

#include <spdlog/spdlog.h>

namespace tomolive::daemon {
namespace {

// The reply carries the result, or the error.
template <typename Result>
void set_outcome(protocol::Reply& reply, protocol::Expected<Result> outcome) {
  if (outcome) {
    reply.result = std::move(outcome).value();
  } else {
    reply.error = outcome.error();
  }
}

}  // namespace

ControlHandlers::Answer ControlHandlers::handle(const protocol::ControlRequest& request) {
  bump(counters_.control_requests);
  Answer answer;
  answer.reply.command = std::string(protocol::command_name(request));
  if (std::holds_alternative<protocol::GetStatus>(request)) {
    answer.reply.result = status_();
  } else if (const auto* center = std::get_if<protocol::SetCenter>(&request)) {
    answer.reply = worker_.set_center(*center);
  } else if (const auto* slices = std::get_if<protocol::SetSlices>(&request)) {
    answer.reply = worker_.set_slices(*slices);
  } else if (const auto* estimate = std::get_if<protocol::EstimateCenter>(&request)) {
    answer.reply = worker_.estimate_center(*estimate);
  } else if (const auto* processing = std::get_if<protocol::SetProcessing>(&request)) {
    answer.reply = worker_.set_processing(*processing);
  } else if (const auto* volume = std::get_if<protocol::ReconstructVolume>(&request)) {
    answer.reply = worker_.reconstruct_volume(*volume);
  } else if (std::holds_alternative<protocol::CancelVolume>(request)) {
    answer.reply = worker_.cancel_volume();
  } else if (std::holds_alternative<protocol::GetDefectivePixels>(request)) {
    answer.reply = worker_.get_defective_pixels();
  } else if (const auto* plan = std::get_if<protocol::SetScanPlan>(&request)) {
    plans_.post(plan_from_command(*plan));
    spdlog::info("scan plan posted for the next detector series: {} darks, {} flats, {} projections", plan->n_darks,
                 plan->n_flats, plan->n_projections);
  } else if (const auto* sweep = std::get_if<protocol::SweepCenter>(&request)) {
    EngineWorker::SweepAnswer swept = worker_.sweep_center(*sweep);
    answer.reply = std::move(swept.reply);
    answer.sweep_images = std::move(swept.images);
  } else if (const auto* processing_sweep = std::get_if<protocol::SweepProcessing>(&request)) {
    EngineWorker::SweepAnswer swept = worker_.sweep_processing(*processing_sweep);
    answer.reply = std::move(swept.reply);
    answer.sweep_images = std::move(swept.images);
  } else if (const auto* oblique = std::get_if<protocol::SetObliqueSlice>(&request)) {
    answer.reply = worker_.set_oblique_slice(*oblique);
  } else if (const auto* record = std::get_if<protocol::Record>(&request)) {
    set_outcome(answer.reply, recorder_.set_next_scan(record->enabled));
  } else if (const auto* capture = std::get_if<protocol::Capture>(&request)) {
    set_outcome(answer.reply, capture_.capture(capture->after_s));
  } else if (const auto* sample = std::get_if<protocol::CenterSample>(&request)) {
    answer.reply = worker_.center_sample(*sample);
  } else if (const auto* preview = std::get_if<protocol::SetPreview>(&request)) {
    answer.reply = worker_.set_preview(*preview);
  } else {
    const auto kind = std::get<protocol::GetSlice>(request).slice;
    answer.slice = board_.latest(kind);
    if (answer.slice) {
      answer.reply.result = answer.slice->header;
    } else {
      const char* why = kind == protocol::SliceKind::oblique
                            ? " slice yet: no scan has begun, or set_oblique_slice has not shown one"
                            : " slice yet: no scan has begun";
      answer.reply.error = protocol::Error{protocol::ErrorCode::no_active_scan,
                                           std::string("no ") + std::string(protocol::to_string(kind)) + why};
    }
  }
  if (!answer.reply.ok()) {
    bump(counters_.control_errors);
    log_refusal(answer.reply.command, *answer.reply.error);
  } else {
    spdlog::debug("control {} ok", answer.reply.command);
  }
  return answer;
}

protocol::Reply ControlHandlers::refuse(const protocol::Error& error, std::string command) {
  bump(counters_.control_requests);
  bump(counters_.control_errors);
  log_refusal(command, error);
  protocol::Reply reply;
  reply.command = std::move(command);
  reply.error = error;
  return reply;
}

void ControlHandlers::log_refusal(const std::string& command, const protocol::Error& error) {
  const std::string_view code = protocol::to_string(error.code);
  log_limiter_.log(spdlog::level::warn, code, LogFields{"control_refused", std::nullopt},
                   "control " + command + " refused (" + std::string(code) + "): " + error.message);
}

}  // namespace tomolive::daemon
