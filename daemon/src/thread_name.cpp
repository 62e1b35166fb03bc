#include "tomolive/daemon/thread_name.hpp"

#include <pthread.h>

namespace tomolive::daemon {

std::string indexed_thread_name(std::string_view base, std::size_t index) {
  return std::string(base) + "/" + std::to_string(index);
}

void name_this_thread(std::string_view name) {
#if defined(__linux__)
  const std::string kept(name.substr(0, kMaxThreadNameLength));
  pthread_setname_np(pthread_self(), kept.c_str());
#else
  (void)name;
#endif
}

}  // namespace tomolive::daemon
