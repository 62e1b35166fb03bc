// What a fuzz target does when a property it checks does not hold: say which, and abort so that libFuzzer records
// the input as a crash (a plain crash or sanitizer report needs no check of ours).
#pragma once

#include <cstdio>
#include <cstdlib>

namespace tomolive::fuzz {

inline void require(bool holds, const char* property) {
  if (holds) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", property);
  std::abort();
}

}  // namespace tomolive::fuzz
