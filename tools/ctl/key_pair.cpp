#include "key_pair.hpp"

#include <filesystem>
#include <fstream>
#include <ostream>

#include <zmq.h>

namespace tomolive::ctl {

bool write_key_pair(const std::string& prefix, std::ostream& out, std::ostream& err) {
  char public_key[41] = {}, secret_key[41] = {};
  if (zmq_curve_keypair(public_key, secret_key) != 0) {
    err << "tomolive-ctl: this libzmq cannot make CURVE keys: " << zmq_strerror(zmq_errno()) << '\n';
    return false;
  }
  const std::filesystem::path secret_path = prefix + ".key", public_path = prefix + ".pub";
  {
    std::ofstream secret(secret_path);
    std::error_code ignored;  // a file that could not be opened is reported below
    std::filesystem::permissions(secret_path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 ignored);
    secret << "# tomolive CURVE secret key: keep it private\n" << secret_key << '\n';
    if (!secret) {
      err << "tomolive-ctl: cannot write " << secret_path.string() << '\n';
      return false;
    }
  }
  std::ofstream public_file(public_path);
  public_file << public_key << '\n';
  if (!public_file) {
    err << "tomolive-ctl: cannot write " << public_path.string() << '\n';
    return false;
  }
  out << "public key " << public_key << " in " << public_path.string() << ", secret key in " << secret_path.string()
      << '\n';
  return true;
}

}  // namespace tomolive::ctl
