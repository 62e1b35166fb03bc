// The state behind a tl_sender (send.h): the channel, the active scan and the registered buffers; and the opening
// call with a transport of the caller's choice, through which tests run the RDMA path over rdma::FakeTransport.
// Internal to the library and its tests.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "channel.hpp"
#include "tomolive/protocol/messages.hpp"
#include "tomolive/rdma/transport.hpp"
#include "tomolive/send.h"

struct tl_sender {
  std::unique_ptr<tomolive::send::Channel> channel;
  std::string error;                                  // the last failing call's message
  std::optional<tomolive::protocol::ScanBegin> scan;  // between begin_scan and end_scan
  std::map<std::uint32_t, std::span<std::byte>> buffers;
  std::uint32_t next_buffer = 1;
  std::uint64_t next_ticket = 1;
  std::uint64_t frames_sent = 0;
};

namespace tomolive::send {

// tl_open over `transport` for "rdma://" URLs (tl_open itself uses rdma::VerbsTransport); `transport` must outlive
// the sender.
tl_status open_sender(const char* url, const tl_options* options, rdma::Transport& transport, tl_sender** sender);

}  // namespace tomolive::send
