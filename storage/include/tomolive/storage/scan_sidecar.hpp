// The catalogue sidecar of a scan (PROTOCOL.md 10.7): one JSON file shaped as a SciCat dataset, so that an ingestor
// (pyscicat, SciCat's ingestor) can post it as it is. Keys (SciCat's DatasetDto and OrigDatablockDto):
//   type ("derived" for a volume, "raw" for a recording), datasetName, description, owner, ownerGroup,
//   contactEmail, sourceFolder, creationTime (ISO 8601, UTC), size (bytes), numberOfFiles, keywords,
//   usedSoftware, inputDatasets, investigator, jobParameters (derived) or principalInvestigator, creationLocation,
//   dataFormat (raw), scientificMetadata (what the caller gives: geometry, angles, processing, center, counters,
//   memory plan, timings, software version and commit), and
//   origdatablocks: [{size, chkAlg: "sha256", dataFileList: [{path, size, time, chk}]}] with one entry per file
//   (a folder's files one by one, paths relative to sourceFolder).
// Written atomically (write_file_atomically): a reader sees no sidecar or a complete one.
// Thread safety: pure function of its arguments and the files. Errors: StorageError.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "tomolive/storage/write_faults.hpp"

namespace tomolive::storage {

struct ScanSidecar {
  std::string type = "derived";   // "derived" (volume) or "raw" (recording)
  std::string dataset_name;       // e.g. "scan 7 mouse femur"
  std::string description;
  std::string owner;              // the operator's account name ("" : "tomolive")
  std::string owner_group;
  std::string contact_email;
  std::string creation_location;  // raw datasets: the instrument
  std::string used_software;      // e.g. "tomolive 0.1.0 (a8b9280)"
  nlohmann::json job_parameters = nlohmann::json::object();      // derived: the request that made the volume
  nlohmann::json scientific_metadata = nlohmann::json::object();
};

// Writes `sidecar_path` describing `files` (files or folders; sourceFolder is the sidecar's directory, paths are
// relative to it where they lie below it). Checksums every file (sha256). `faults` (may be null) sees the write.
void write_scan_sidecar(const std::filesystem::path& sidecar_path, const ScanSidecar& sidecar,
                        std::span<const std::filesystem::path> files, WriteFaults* faults = nullptr);

// The sidecar as a JSON document (what write_scan_sidecar writes, with the checksums).
nlohmann::json scan_sidecar_json(const std::filesystem::path& source_folder, const ScanSidecar& sidecar,
                                 std::span<const std::filesystem::path> files);

// Hex sha256 of a file's bytes. Throws StorageError when it cannot be read.
std::string sha256_of_file(const std::filesystem::path& path);

}  // namespace tomolive::storage
