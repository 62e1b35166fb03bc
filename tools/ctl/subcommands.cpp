#include "subcommands.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>

namespace tomolive::ctl {
namespace {

constexpr std::array<Subcommand, 21> kSubcommands{{
    {"status", "get_status", "print the daemon's status and counters", ""},
    {"watch", "get_status", "live status, like top: redraw every interval (a tty) or print one line per interval", ""},
    {"set-center", "set_center", "set the rotation axis (recomputes the slices)", ""},
    {"set-slices", "set_slices", "move slices (recomputes the moved ones)", ""},
    {"get-slice", "get_slice", "fetch the newest slice and write it as .npy (float32)", "xy xz yz oblique"},
    {"set-oblique", "set_oblique_slice",
     "show the oblique slice on a plane (a normal and offset, or three points), or hide it (PROTOCOL.md 10.9)", ""},
    {"preview", "set_preview", "turn the live 3D preview on (optionally at a size) or off (PROTOCOL.md 10.12)",
     "on off"},
    {"estimate-center", "estimate_center", "estimate the center of rotation (PROTOCOL.md 10.4)", ""},
    {"sweep-center", "sweep_center",
     "reconstruct the axial slice at candidate centers; write them as one .npy (count x rows x cols)", ""},
    {"center-sample", "center_sample",
     "the stage motions that bring a slice point, or the sample seen in the projections, onto the axis "
     "(PROTOCOL.md 10.11)", "xy xz yz projections"},
    {"set-processing", "set_processing",
     "change the projection processing; the resident projections are re-filtered (PROTOCOL.md 10.5)", ""},
    {"sweep-processing", "sweep_processing",
     "reconstruct the axial slice for candidate values of one processing parameter; write them as one .npy "
     "(count x rows x cols) (PROTOCOL.md 10.8)", "delta_over_beta ring_size window"},
    {"defective-pixels", "get_defective_pixels",
     "the scan's defective-pixel map: counts and (row, col, kind) of each pixel (PROTOCOL.md 10.10)", ""},
    {"scan-plan", "set_scan_plan",
     "post the scan plan of the next detector series that brings none (PROTOCOL.md 17): darks, flats, then "
     "projections in one series, or with --image-key three series in a row (darks, flats, projections)", ""},
    {"volume", "reconstruct_volume",
     "reconstruct the scan's full volume from the resident projections and write it (PROTOCOL.md 10.6)", ""},
    {"cancel-volume", "cancel_volume", "cancel the volume being computed or written", ""},
    {"record", "record", "record the next scan (on) or not (off; also stops the active recording) (PROTOCOL.md 18)",
     "on off"},
    {"capture", "capture",
     "write the capture ring plus the next seconds of raw frames to an NXtomo file (PROTOCOL.md 18.1)", ""},
    {"keygen", "", "make a CURVE key pair: PREFIX.key (secret) and PREFIX.pub (public)", ""},
    {"completion", "", "print the shell completion script for bash or zsh", "bash zsh"},
    {"commands", "", "list the subcommands and the control command each sends", ""},
}};

}  // namespace

std::span<const Subcommand> subcommands() { return kSubcommands; }

const Subcommand& subcommand(std::string_view name) {
  const auto found = std::ranges::find(kSubcommands, name, &Subcommand::name);
  if (found == kSubcommands.end()) throw std::out_of_range("tomolive-ctl has no subcommand " + std::string(name));
  return *found;
}

}  // namespace tomolive::ctl
