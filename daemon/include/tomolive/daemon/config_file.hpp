// The TOML side of tomolived's configuration file: reads a file into option values, and writes option values back
// as TOML lines. Every key is the long name of a command-line option without its dashes ("data-hwm" for
// --data-hwm), at the top level of the file; how a value maps to the option depends on the option's kind:
//
//   flag     --insecure-network        insecure-network = true        (a boolean; false leaves the flag off)
//   integer  --data-hwm 2000           data-hwm = 2000                (an integer)
//   number   --publish-hz 10           publish-hz = 10.0              (an integer or a float)
//   text     --filter-window hann      filter-window = "hann"         (a string; integers and floats are taken
//                                                                      as their text, e.g. rings = 21)
//   list     --data A --data B         data = ["A", "B"]              (an array of such texts, or one text; an
//                                                                      empty array only where the default is none)
//
// The file is read with toml++ (Debian's libtomlplusplus-dev): it reports every value's line and column, so that
// each refusal names FILE:LINE:COLUMN. Nothing here knows the options themselves: the caller passes their kinds.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace tomolive::daemon {

enum class OptionKind { flag, integer, number, text, list };

// One key of the file, converted to the option's argument texts (what the command line would carry).
struct FileSetting {
  std::string key;
  std::vector<std::string> values;  // one per argument; a flag's is "true" or "false"
  std::uint32_t line = 0;           // where the value is in the file, 1-based
  std::uint32_t column = 0;
};

// Reads `path`. `options`: the kind of every key the file may hold. Returns the file's settings in file order, or
// the first error as "FILE:LINE:COLUMN: key 'x': reason" (an unknown key, a value of the wrong type) or
// "FILE:LINE:COLUMN: reason" (a TOML syntax error, as toml++ words it), or "FILE: reason" when it cannot be read.
std::variant<std::vector<FileSetting>, std::string> read_config_file(const std::string& path,
                                                                     const std::map<std::string, OptionKind>& options);

// The TOML line "key = value" (no newline) for an option of `kind` whose argument texts are `values` (for a flag:
// "true"/"false"; for an integer or a number: texts that parse as one). Strings are quoted and escaped as TOML
// needs.
std::string format_setting(const std::string& key, OptionKind kind, const std::vector<std::string>& values);

}  // namespace tomolive::daemon
