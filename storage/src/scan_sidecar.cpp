#include "tomolive/storage/scan_sidecar.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <ctime>
#include <memory>
#include <vector>

#include "tomolive/storage/atomic_file.hpp"
#include "tomolive/storage/disk_error.hpp"
#include "tomolive/storage/file_descriptor.hpp"

namespace tomolive::storage {
namespace {

struct DigestContext {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

std::string iso8601_utc(std::time_t seconds) {
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// The regular files of `path` (itself, or every file below a folder, in name order).
std::vector<std::filesystem::path> files_of(const std::filesystem::path& path) {
  if (!std::filesystem::is_directory(path)) return {path};
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string relative_to(const std::filesystem::path& path, const std::filesystem::path& folder) {
  const std::filesystem::path relative = path.lexically_relative(folder);
  if (relative.empty() || *relative.begin() == "..") return path.string();
  return relative.generic_string();
}

}  // namespace

std::string sha256_of_file(const std::filesystem::path& path) {
  FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) throw disk_error(errno, DiskOperation::open_file, path);
  std::unique_ptr<EVP_MD_CTX, DigestContext> context(EVP_MD_CTX_new());
  if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    throw StorageError("sha256: OpenSSL could not start a digest", 0);
  }
  std::vector<unsigned char> buffer(std::size_t{1} << 20);
  for (;;) {
    const ssize_t got = ::read(file.get(), buffer.data(), buffer.size());
    if (got < 0) {
      if (errno == EINTR) continue;
      throw disk_error(errno, DiskOperation::open_file, path);
    }
    if (got == 0) break;
    EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(got));
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned length = 0;
  EVP_DigestFinal_ex(context.get(), digest.data(), &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned k = 0; k < length; ++k) {
    hex += kHex[digest[k] >> 4];
    hex += kHex[digest[k] & 15];
  }
  return hex;
}

nlohmann::json scan_sidecar_json(const std::filesystem::path& source_folder, const ScanSidecar& sidecar,
                                 std::span<const std::filesystem::path> files) {
  nlohmann::json file_list = nlohmann::json::array();
  std::uint64_t total = 0;
  for (const std::filesystem::path& item : files) {
    for (const std::filesystem::path& file : files_of(item)) {
      struct stat info {};
      if (::stat(file.c_str(), &info) != 0) throw disk_error(errno, DiskOperation::open_file, file);
      const auto size = static_cast<std::uint64_t>(info.st_size);
      total += size;
      file_list.push_back({{"path", relative_to(file, source_folder)},
                           {"size", size},
                           {"time", iso8601_utc(info.st_mtime)},
                           {"chk", sha256_of_file(file)}});
    }
  }
  const std::string owner = sidecar.owner.empty() ? "tomolive" : sidecar.owner;
  nlohmann::json dataset = {
      {"type", sidecar.type},
      {"datasetName", sidecar.dataset_name},
      {"description", sidecar.description},
      {"owner", owner},
      {"ownerGroup", sidecar.owner_group.empty() ? owner : sidecar.owner_group},
      {"contactEmail", sidecar.contact_email},
      {"sourceFolder", std::filesystem::absolute(source_folder).lexically_normal().string()},
      {"creationTime", iso8601_utc(std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()))},
      {"size", total},
      {"numberOfFiles", file_list.size()},
      {"keywords", {"tomography", "tomolive", sidecar.type == "raw" ? "recording" : "volume"}},
      {"scientificMetadata", sidecar.scientific_metadata},
      {"origdatablocks", {{{"size", total}, {"chkAlg", "sha256"}, {"dataFileList", file_list}}}}};
  if (sidecar.type == "raw") {
    dataset["principalInvestigator"] = owner;
    dataset["creationLocation"] = sidecar.creation_location.empty() ? "unknown" : sidecar.creation_location;
    dataset["dataFormat"] = "NXtomo";
  } else {
    dataset["investigator"] = owner;
    dataset["usedSoftware"] = {sidecar.used_software};
    dataset["inputDatasets"] = nlohmann::json::array();
    dataset["jobParameters"] = sidecar.job_parameters;
  }
  return dataset;
}

void write_scan_sidecar(const std::filesystem::path& sidecar_path, const ScanSidecar& sidecar,
                        std::span<const std::filesystem::path> files, WriteFaults* faults) {
  const std::filesystem::path folder =
      sidecar_path.has_parent_path() ? sidecar_path.parent_path() : std::filesystem::path(".");
  const std::string text = scan_sidecar_json(folder, sidecar, files).dump(2) + "\n";
  check_write(faults, text.size(), sidecar_path);
  write_file_atomically(sidecar_path, text);
}

}  // namespace tomolive::storage
