// The one naming rule of a scan's files on disk (PROTOCOL.md 10.6 and 18): the recording, the volume, the capture
// files and the catalogue sidecar of a scan all start with the same stem, so that a listing groups them and a
// sidecar sits beside its data under the data's own name. Pure function, thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tomolive::storage {

// "scan_<id, at least 6 digits, zero-padded>" plus "_<name>" with every character outside [A-Za-z0-9._-] replaced
// by '_' (at most the name's first 64 characters; a name that becomes empty or only dots is left out), e.g.
// "scan_000007_mouse_femur". The recording is "<stem>.nxs", the volume "<stem>.h5" / "<stem>/" / "<stem>.ome.zarr",
// the sidecar "<stem>.json", a capture "<stem>_capture_<k>.nxs".
std::string scan_file_stem(std::uint64_t scan_id, std::string_view scan_name);

}  // namespace tomolive::storage
