// ControlAdmission (PROTOCOL.md 14.1): read-only viewers may only read the status; a controlling viewer has at most
// one sweep or estimate running.
#include "tomolive/daemon/control_admission.hpp"

#include <gtest/gtest.h>

namespace tomolive::daemon {
namespace {

using protocol::ErrorCode;

const protocol::ControlRequest kSweep = protocol::SweepCenter{-1.0, 0.5, 3, std::nullopt, std::nullopt};
const protocol::ControlRequest kEstimate = protocol::EstimateCenter{};
const protocol::ControlRequest kSetCenter = protocol::SetCenter{1.0, std::nullopt};
const protocol::ControlRequest kStatus = protocol::GetStatus{};

TEST(ControlAdmission, ReadOnlyViewersMayOnlyReadTheStatus) {
  ControlAdmission admission(ViewerAccess::Decision{true, "no token"});
  EXPECT_FALSE(admission.admit(kStatus));
  for (const auto& request : {kSweep, kEstimate, kSetCenter}) {
    const auto refusal = admission.admit(request);
    ASSERT_TRUE(refusal) << protocol::command_name(request);
    EXPECT_EQ(refusal->code, ErrorCode::permission_denied);
    EXPECT_NE(refusal->message.find("no token"), std::string::npos) << refusal->message;
  }
  EXPECT_EQ(admission.running(), 1);  // the get_status
}

TEST(ControlAdmission, OneSweepOrEstimateAtATimePerViewer) {
  ControlAdmission admission(ViewerAccess::Decision{false, ""});
  EXPECT_FALSE(admission.admit(kSweep));
  for (const auto& request : {kSweep, kEstimate}) {
    const auto refusal = admission.admit(request);
    ASSERT_TRUE(refusal) << protocol::command_name(request);
    EXPECT_EQ(refusal->code, ErrorCode::queue_full);
    EXPECT_NE(refusal->message.find("still running"), std::string::npos) << refusal->message;
  }
  // Other commands go on meanwhile.
  EXPECT_FALSE(admission.admit(kSetCenter));
  EXPECT_FALSE(admission.admit(kStatus));
  EXPECT_EQ(admission.running(), 3);

  admission.finished(kSweep);
  EXPECT_FALSE(admission.admit(kEstimate));
  admission.finished(kEstimate);
  admission.finished(kSetCenter);
  admission.finished(kStatus);
  EXPECT_EQ(admission.running(), 0);
}

}  // namespace
}  // namespace tomolive::daemon
