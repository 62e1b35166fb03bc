// Which ZeroMQ I/O thread polls a TCP connection, observed through the kernel: each I/O thread polls its connections
// with an epoll instance of its own, whose registered descriptors /proc/self/fdinfo lists ("tfd:" lines).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace tomolive::testing {

// Which end of a connection a port is looked up on.
enum class ConnectionEnd { local, peer };

// The TCP port of a connected socket descriptor's `end`, or 0 (not a connected TCP socket: e.g. a listener).
inline int connection_port(int fd, ConnectionEnd end) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  if (end == ConnectionEnd::local) {
    length = sizeof(address);
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return 0;
  }
  if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  return 0;
}

// For each port in `ports`: the epoll descriptors of this process that poll a connection whose `end` has that port.
inline std::map<int, std::set<int>> epolls_by_port(const std::set<int>& ports, ConnectionEnd end) {
  std::map<int, std::set<int>> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    const auto target = std::filesystem::read_symlink(entry.path(), error);
    if (error || target.string() != "anon_inode:[eventpoll]") continue;
    const int epoll = std::stoi(entry.path().filename().string());
    std::ifstream info("/proc/self/fdinfo/" + std::to_string(epoll));
    for (std::string line; std::getline(info, line);) {
      std::istringstream fields(line);
      std::string key;
      int fd = -1;
      if (!(fields >> key >> fd) || key != "tfd:") continue;
      if (const int port = connection_port(fd, end); ports.contains(port)) found[port].insert(epoll);
    }
  }
  return found;
}

// The TCP port of a ZeroMQ endpoint "tcp://ADDRESS:PORT".
inline int endpoint_port(const std::string& endpoint) { return std::stoi(endpoint.substr(endpoint.rfind(':') + 1)); }

}  // namespace tomolive::testing
