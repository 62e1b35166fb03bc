// The processing setting's forms: engine <-> wire, set_processing's partial update, the one-line description.
#include "tomolive/daemon/processing_setting.hpp"

#include <gtest/gtest.h>

namespace tomolive::daemon {
namespace {

using protocol::FilterWindow;

TEST(ProcessingSetting, EveryWindowHasTheSameNameOnTheWireAndInTheEngine) {
  for (const FilterWindow window : {FilterWindow::ram_lak, FilterWindow::shepp_logan, FilterWindow::cosine,
                                    FilterWindow::hamming, FilterWindow::hann, FilterWindow::parzen}) {
    const kernels::FilterWindow engine_window = to_kernels(window);
    EXPECT_EQ(kernels::window_name(engine_window), protocol::to_string(window));
    kernels::ProcessingParams params;
    params.window = engine_window;
    EXPECT_EQ(to_protocol(params, {}).window, window);
  }
}

TEST(ProcessingSetting, EngineParametersReachTheWireUnchanged) {
  kernels::ProcessingParams params;
  params.window = kernels::FilterWindow::parzen;
  params.zingers = {true, 0.25f};
  params.phase = {true, 33.0, 0.4, 0.65, 420.0};
  params.rings = {true, 11};
  params.defective_pixels = {false, 0.25f, 6.f, 8.5f};
  const protocol::ProcessingSetting setting = to_protocol(params, kernels::HalfAcquisition{true, 8, 100});
  EXPECT_EQ(setting.window, FilterWindow::parzen);
  EXPECT_EQ(setting.zingers, (protocol::ProcessingSetting::Zingers{true, 0.25}));
  EXPECT_EQ(setting.phase, (protocol::ProcessingSetting::Phase{true, 33.0, 0.4, 0.65, 420.0}));
  EXPECT_EQ(setting.rings, (protocol::ProcessingSetting::Rings{true, 11}));
  EXPECT_EQ(setting.half_acquisition, (protocol::ProcessingSetting::HalfAcquisition{true, 8, 100}));
  EXPECT_EQ(setting.defective_pixels, (protocol::ProcessingSetting::DefectivePixels{false, 0.25, 6.0, 8.5}));

  const kernels::RefilterReport report{90, 12.5, 7, 3};
  EXPECT_EQ(to_protocol(report), (protocol::RefilterResult{90, 12.5, 7, 3}));
}

// The catalogue's form (PROTOCOL.md 10.7): every parameter under set_processing's keys, field by field, plus the
// prose summary.
TEST(ProcessingSetting, CatalogueJsonHasEveryFieldUnderTheWireNames) {
  kernels::ProcessingParams params;
  params.window = kernels::FilterWindow::hann;
  params.zingers = {true, 0.25f};
  params.phase = {true, 33.0, 0.4, 0.65, 420.0};
  params.rings = {true, 11};
  params.defective_pixels = {true, 0.25f, 6.f, 8.5f};
  const nlohmann::json json = processing_json(params, kernels::HalfAcquisition{true, 8, 100});
  EXPECT_EQ(json.at("window"), "hann");
  EXPECT_EQ(json.at("zingers"), (nlohmann::json{{"enabled", true}, {"threshold", 0.25}}));
  EXPECT_EQ(json.at("phase"), (nlohmann::json{{"enabled", true},
                                              {"energy_kev", 33.0},
                                              {"distance_m", 0.4},
                                              {"pixel_size_um", 0.65},
                                              {"delta_over_beta", 420.0}}));
  EXPECT_EQ(json.at("rings"), (nlohmann::json{{"enabled", true}, {"size", 11}}));
  EXPECT_EQ(json.at("half_acquisition"),
            (nlohmann::json{{"enabled", true}, {"detector_col0", 8}, {"detector_cols", 100}}));
  EXPECT_EQ(json.at("defective_pixels"), (nlohmann::json{{"enabled", true},
                                                         {"dead_threshold", 0.25},
                                                         {"hot_threshold", 6.0},
                                                         {"noisy_threshold", 8.5}}));
  EXPECT_EQ(json.at("summary"), describe(params));
  EXPECT_EQ(json.size(), 7u) << json.dump();

  const nlohmann::json off = processing_json(kernels::ProcessingParams{}, {});
  EXPECT_EQ(off.at("window"), "ram-lak");
  EXPECT_EQ(off.at("zingers").at("enabled"), false);
  EXPECT_EQ(off.at("phase").at("enabled"), false);
  EXPECT_EQ(off.at("rings").at("enabled"), false);
  EXPECT_EQ(off.at("half_acquisition").at("enabled"), false);
}

TEST(ProcessingSetting, AnUpdateReplacesOnlyTheFieldsItGives) {
  kernels::ProcessingParams current;
  current.zingers = {true, 0.5f};
  current.phase = {false, 25.0, 0.2, 0.7, 300.0};
  current.rings = {false, 9};

  EXPECT_EQ(apply_update(current, {}), current);
  const kernels::ProcessingParams window_only =
      apply_update(current, {FilterWindow::hann, std::nullopt, std::nullopt, std::nullopt, std::nullopt});
  kernels::ProcessingParams expected = current;
  expected.window = kernels::FilterWindow::hann;
  EXPECT_EQ(window_only, expected);

  const kernels::ProcessingParams updated =
      apply_update(current, {std::nullopt, protocol::ZingersUpdate{false, std::nullopt},
                             protocol::PhaseUpdate{true, std::nullopt, 0.3, std::nullopt, std::nullopt},
                             protocol::RingsUpdate{std::nullopt, 15u},
                             protocol::DefectivePixelsUpdate{false, std::nullopt, 4.0, std::nullopt}});
  expected = current;
  expected.zingers.enabled = false;
  expected.phase.enabled = true;
  expected.phase.distance_m = 0.3;
  expected.rings.size = 15;
  expected.defective_pixels.enabled = false;
  expected.defective_pixels.hot_threshold = 4.f;
  EXPECT_EQ(updated, expected);  // half acquisition is never touched
}

TEST(ProcessingSetting, DescriptionNamesEveryStep) {
  kernels::ProcessingParams params;
  EXPECT_EQ(describe(params), "window ram-lak, zingers off, phase off, rings off, defective pixels dead 0.5, hot 10, "
                             "noisy 10");
  params.window = kernels::FilterWindow::hann;
  params.zingers = {true, 0.3f};
  params.phase = {true, 20.0, 0.1, 1.0, 100.0};
  params.rings = {true, 21};
  params.defective_pixels.enabled = false;
  EXPECT_EQ(describe(params), "window hann, zingers 0.3, phase 20 keV, 0.1 m, 1 um, delta/beta 100, rings 21, "
                             "defective pixels off");
}

}  // namespace
}  // namespace tomolive::daemon
