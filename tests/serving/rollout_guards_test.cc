#include "serving/rollout_guards.h"

#include <gtest/gtest.h>

namespace plinth::serving {
namespace {

WindowStats Window(int64_t requests, int64_t errors, double p99_ms, double mean) {
  WindowStats w;
  w.requests = requests;
  w.errors = errors;
  w.error_rate = requests ? static_cast<double>(errors) / requests : 0;
  w.p99_ms = p99_ms;
  w.predictions = requests - errors;
  w.mean_prediction = mean;
  return w;
}

RolloutGuards AllGuards() {
  RolloutGuards g;
  g.max_error_rate = 0.05;
  g.max_p99_ms = 10;
  g.max_mean_shift = 0.5;
  g.min_requests = 20;
  return g;
}

TEST(RolloutGuards, TooFewCanaryRequestsWaitEvenWhenEveryOneFailed) {
  GuardVerdict v = EvaluateGuards(AllGuards(), Window(19, 19, 1000, 0), Window(400, 0, 1, 0),
                                  Window(400, 0, 1, 0));
  EXPECT_EQ(v.kind, GuardVerdict::Kind::kWait);
  EXPECT_NE(v.message.find("19 of 20"), std::string::npos) << v.message;
}

TEST(RolloutGuards, HoldWhenEveryGuardHolds) {
  GuardVerdict v = EvaluateGuards(AllGuards(), Window(20, 1, 10, 1.4), Window(400, 0, 1, 1.0),
                                  Window(400, 0, 1, 1.0));
  EXPECT_EQ(v.kind, GuardVerdict::Kind::kHeld) << v.message;
}

TEST(RolloutGuards, ErrorRateAboveTheLimitFailsAndIsReportedFirst) {
  GuardVerdict v = EvaluateGuards(AllGuards(), Window(20, 2, 50, 9), Window(400, 0, 1, 0),
                                  Window(400, 0, 1, 0));
  ASSERT_EQ(v.kind, GuardVerdict::Kind::kFailed);
  EXPECT_EQ(v.guard, "max_error_rate");
  EXPECT_DOUBLE_EQ(v.value, 0.1);
  EXPECT_DOUBLE_EQ(v.limit, 0.05);
}

TEST(RolloutGuards, P99AboveTheLimitFails) {
  GuardVerdict v = EvaluateGuards(AllGuards(), Window(100, 0, 10.5, 0), Window(400, 0, 1, 0),
                                  Window(400, 0, 1, 0));
  ASSERT_EQ(v.kind, GuardVerdict::Kind::kFailed);
  EXPECT_EQ(v.guard, "max_p99_ms");
  EXPECT_DOUBLE_EQ(v.value, 10.5);
}

TEST(RolloutGuards, MeanShiftIsAbsoluteInEitherDirection) {
  for (double canary : {1.6, 0.4}) {
    GuardVerdict v = EvaluateGuards(AllGuards(), Window(100, 0, 1, canary),
                                    Window(400, 0, 1, 1.0), Window(400, 0, 1, 1.0));
    ASSERT_EQ(v.kind, GuardVerdict::Kind::kFailed) << canary;
    EXPECT_EQ(v.guard, "max_mean_shift");
    EXPECT_NEAR(v.value, 0.6, 1e-12);
  }
}

TEST(RolloutGuards, PrimaryWithoutWindowTrafficIsComparedOverTheWholeRollout) {
  // At 100% the primary answers nothing in the window: its mean over the rollout is the
  // reference (here 5.0, so a canary at 1.0 has shifted by 4).
  GuardVerdict v = EvaluateGuards(AllGuards(), Window(100, 0, 1, 1.0), Window(0, 0, 0, 0),
                                  Window(900, 0, 1, 5.0));
  ASSERT_EQ(v.kind, GuardVerdict::Kind::kFailed);
  EXPECT_DOUBLE_EQ(v.value, 4.0);
  v = EvaluateGuards(AllGuards(), Window(100, 0, 1, 1.0), Window(0, 0, 0, 0), Window(0, 0, 0, 0));
  EXPECT_EQ(v.kind, GuardVerdict::Kind::kWait);
}

TEST(RolloutGuards, UnsetGuardsAreNotChecked) {
  RolloutGuards g;
  g.max_error_rate.reset();
  g.min_requests = 1;
  GuardVerdict v = EvaluateGuards(g, Window(10, 10, 1e6, 0), Window(0, 0, 0, 0), Window(0, 0, 0, 0));
  EXPECT_EQ(v.kind, GuardVerdict::Kind::kHeld) << v.message;
}

TEST(RolloutGuards, ValidationNamesTheBadLimit) {
  RolloutGuards g;
  g.max_error_rate = 1.5;
  EXPECT_NE(ValidateGuards(g).message().find("max_error_rate"), std::string::npos);
  g = RolloutGuards();
  g.min_requests = 0;
  EXPECT_NE(ValidateGuards(g).message().find("min_requests"), std::string::npos);
  EXPECT_TRUE(ValidateGuards(AllGuards()).ok());
}

}  // namespace
}  // namespace plinth::serving
