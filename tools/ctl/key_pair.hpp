// `tomolive-ctl keygen`: CURVE key pairs for the daemon and its clients (PROTOCOL.md 2, "Security").
#pragma once

#include <iosfwd>
#include <string>

namespace tomolive::ctl {

// Writes a new CURVE key pair as PREFIX.key (the secret key, readable by the owner only) and PREFIX.pub, each one
// Z85 line, and says where on `out`; false (with the reason on `err`) when libzmq cannot make keys or a file cannot
// be written.
bool write_key_pair(const std::string& prefix, std::ostream& out, std::ostream& err);

}  // namespace tomolive::ctl
