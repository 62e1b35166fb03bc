#include "tomolive/daemon/config_file.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <optional>
#include <sstream>

#include <toml++/toml.h>

namespace tomolive::daemon {
namespace {

// What a TOML value is, for messages: "a string (\"abc\")", "an array", ...
std::string describe(const toml::node& node) {
  if (const auto* text = node.as_string()) return "a string (\"" + text->get() + "\")";
  if (const auto* integer = node.as_integer()) return "an integer (" + std::to_string(integer->get()) + ")";
  if (node.is_floating_point()) return "a float";
  if (const auto* flag = node.as_boolean()) return std::string("a boolean (") + (flag->get() ? "true" : "false") + ")";
  if (node.is_array()) return "an array";
  if (node.is_table()) return "a table";
  return "a date or time";
}

// The shortest text that reads back as `value` ("0.3", not "0.29999999999999999").
std::string number_text(double value) {
  char buffer[64];
  const auto written = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, written.ptr);
}

// The argument text of a string, integer or float value; nullopt for other types.
std::optional<std::string> scalar_text(const toml::node& node) {
  if (const auto* text = node.as_string()) return text->get();
  if (const auto* integer = node.as_integer()) return std::to_string(integer->get());
  if (const auto* number = node.as_floating_point()) return number_text(number->get());
  return std::nullopt;
}

// The option's argument texts for `node`, or the reason it has the wrong type.
std::variant<std::vector<std::string>, std::string> option_values(const toml::node& node, OptionKind kind) {
  switch (kind) {
    case OptionKind::flag:
      if (const auto* flag = node.as_boolean()) return std::vector<std::string>{flag->get() ? "true" : "false"};
      return "expected true or false, got " + describe(node);
    case OptionKind::integer:
      if (const auto* integer = node.as_integer()) return std::vector<std::string>{std::to_string(integer->get())};
      return "expected an integer, got " + describe(node);
    case OptionKind::number:
      if (node.is_integer() || node.is_floating_point()) return std::vector<std::string>{*scalar_text(node)};
      return "expected a number, got " + describe(node);
    case OptionKind::text:
      if (auto text = scalar_text(node)) return std::vector<std::string>{std::move(*text)};
      return "expected a string, got " + describe(node);
    case OptionKind::list:
      if (auto text = scalar_text(node)) return std::vector<std::string>{std::move(*text)};
      if (const auto* array = node.as_array()) {
        std::vector<std::string> values;
        for (const toml::node& item : *array) {
          auto text = scalar_text(item);
          if (!text) return "expected an array of strings, got " + describe(item) + " in the array";
          values.push_back(std::move(*text));
        }
        return values;
      }
      return "expected an array of strings (or one string), got " + describe(node);
  }
  return "unknown option kind";
}

std::string location(const std::string& path, const toml::source_position& at) {
  return path + ":" + std::to_string(at.line) + ":" + std::to_string(at.column);
}

}  // namespace

std::variant<std::vector<FileSetting>, std::string> read_config_file(const std::string& path,
                                                                     const std::map<std::string, OptionKind>& options) {
  std::ifstream stream(path, std::ios::binary);
  if (!stream) return path + ": cannot be read (a missing file, or no permission)";
  toml::table table;
  try {
    table = toml::parse(stream, path);
  } catch (const toml::parse_error& error) {
    return location(path, error.source().begin) + ": " + std::string(error.description());
  }
  std::vector<FileSetting> settings;
  std::vector<std::pair<toml::source_position, std::string>> errors;
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    const auto option = options.find(name);
    if (option == options.end()) {
      errors.emplace_back(key.source().begin,
                          "key '" + name + "': unknown key: the keys are the long names of tomolived's options "
                          "without the dashes, at the top level (tomolived --print-config lists them)");
      continue;
    }
    auto values = option_values(node, option->second);
    if (auto* reason = std::get_if<std::string>(&values)) {
      errors.emplace_back(node.source().begin, "key '" + name + "': " + *reason);
      continue;
    }
    settings.push_back({name, std::get<std::vector<std::string>>(std::move(values)), node.source().begin.line,
                        node.source().begin.column});
  }
  // The table is ordered by key; the file's reader expects the first problem in the file's order.
  const auto earlier = [](const auto& a, const auto& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  };
  if (!errors.empty()) {
    const auto first = std::min_element(errors.begin(), errors.end(), [&](const auto& a, const auto& b) {
      return earlier(a.first, b.first);
    });
    return location(path, first->first) + ": " + first->second;
  }
  std::sort(settings.begin(), settings.end(), earlier);
  return settings;
}

std::string format_setting(const std::string& key, OptionKind kind, const std::vector<std::string>& values) {
  toml::table line;
  const std::string single = values.empty() ? std::string() : values.back();
  switch (kind) {
    case OptionKind::flag:
      line.insert(key, single == "true");
      break;
    case OptionKind::integer:
      line.insert(key, static_cast<std::int64_t>(std::stoll(single)));
      break;
    case OptionKind::number:
      line.insert(key, std::stod(single));
      break;
    case OptionKind::text:
      line.insert(key, single);
      break;
    case OptionKind::list: {
      toml::array items;
      for (const std::string& value : values) items.push_back(value);
      line.insert(key, std::move(items));
      break;
    }
  }
  std::ostringstream text;
  text << toml::toml_formatter(line);
  return text.str();
}

}  // namespace tomolive::daemon
