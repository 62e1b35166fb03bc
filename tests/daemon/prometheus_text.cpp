#include "prometheus_text.hpp"

#include <cmath>
#include <limits>
#include <regex>
#include <set>

#include <gtest/gtest.h>

namespace tomolive::testing {
namespace {

const std::regex kMetricName("[a-zA-Z_:][a-zA-Z0-9_:]*");
const std::regex kLabelName("[a-zA-Z_][a-zA-Z0-9_]*");

bool parse_value(const std::string& text, double& value) {
  if (text == "+Inf") {
    value = std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "-Inf") {
    value = -std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == "NaN") {
    value = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  std::size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return false;
  }
  return used == text.size();
}

// Parses `name{labels} value` into `sample`; false (with a failure) when malformed.
bool parse_sample(const std::string& line, MetricSample& sample) {
  std::size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  sample.name = line.substr(0, i);
  if (!std::regex_match(sample.name, kMetricName)) {
    ADD_FAILURE() << "invalid metric name in: " << line;
    return false;
  }
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      const std::size_t eq = line.find('=', i);
      if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
        ADD_FAILURE() << "malformed label in: " << line;
        return false;
      }
      const std::string label = line.substr(i, eq - i);
      if (!std::regex_match(label, kLabelName) || sample.labels.count(label) > 0) {
        ADD_FAILURE() << "invalid or repeated label name \"" << label << "\" in: " << line;
        return false;
      }
      std::string value;
      std::size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\') {
          if (j + 1 >= line.size() || (line[j + 1] != '\\' && line[j + 1] != '"' && line[j + 1] != 'n')) {
            ADD_FAILURE() << "invalid escape in a label value: " << line;
            return false;
          }
          ++j;
          value += line[j] == 'n' ? '\n' : line[j];
        } else {
          value += line[j];
        }
      }
      if (j >= line.size()) {
        ADD_FAILURE() << "unterminated label value in: " << line;
        return false;
      }
      sample.labels[label] = value;
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    if (i >= line.size()) {
      ADD_FAILURE() << "unterminated label set in: " << line;
      return false;
    }
    ++i;  // '}'
  }
  if (i >= line.size() || line[i] != ' ') {
    ADD_FAILURE() << "no value in: " << line;
    return false;
  }
  const std::string value = line.substr(i + 1);
  if (value.find(' ') != std::string::npos) {
    ADD_FAILURE() << "a timestamp or trailing text where none is expected: " << line;
    return false;
  }
  if (!parse_value(value, sample.value)) {
    ADD_FAILURE() << "value is not a number: " << line;
    return false;
  }
  return true;
}

void check_histogram(const MetricFamilyText& family) {
  std::map<MetricLabels, std::vector<std::pair<double, double>>> buckets;  // labels without "le" -> (le, count)
  std::map<MetricLabels, double> counts;
  std::set<MetricLabels> sums;
  for (const MetricSample& sample : family.samples) {
    MetricLabels labels = sample.labels;
    if (sample.name == family.name + "_bucket") {
      const auto le = labels.find("le");
      double bound = 0.0;
      if (le == labels.end() || !parse_value(le->second, bound)) {
        ADD_FAILURE() << family.name << ": a bucket without a numeric \"le\"";
        continue;
      }
      labels.erase("le");
      buckets[labels].emplace_back(bound, sample.value);
    } else if (sample.name == family.name + "_count") {
      counts[labels] = sample.value;
    } else if (sample.name == family.name + "_sum") {
      sums.insert(labels);
    }
  }
  EXPECT_FALSE(buckets.empty()) << family.name << ": a histogram without buckets";
  for (const auto& [labels, series] : buckets) {
    for (std::size_t k = 1; k < series.size(); ++k) {
      EXPECT_LT(series[k - 1].first, series[k].first) << family.name << ": \"le\" not increasing";
      EXPECT_LE(series[k - 1].second, series[k].second) << family.name << ": buckets not cumulative";
    }
    EXPECT_TRUE(std::isinf(series.back().first)) << family.name << ": the last bucket is not le=\"+Inf\"";
    ASSERT_EQ(counts.count(labels), 1u) << family.name << ": no _count for a label set";
    EXPECT_EQ(series.back().second, counts.at(labels)) << family.name << ": +Inf bucket != _count";
    EXPECT_EQ(sums.count(labels), 1u) << family.name << ": no _sum for a label set";
  }
}

}  // namespace

Exposition parse_exposition(std::string_view text) {
  Exposition exposition;
  EXPECT_FALSE(text.empty());
  EXPECT_TRUE(text.empty() || text.back() == '\n') << "the exposition does not end with a newline";
  std::string current;           // the family whose samples are being read
  std::set<std::string> closed;  // families whose samples have ended
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string line(text.substr(start, end - start));
    start = end + 1;
    if (line.empty()) {
      ADD_FAILURE() << "a blank line";
      continue;
    }
    if (line.starts_with("# HELP ") || line.starts_with("# TYPE ")) {
      const bool help = line[2] == 'H';
      const std::size_t space = line.find(' ', 7);
      const std::string name = line.substr(7, space == std::string::npos ? std::string::npos : space - 7);
      const std::string rest = space == std::string::npos ? "" : line.substr(space + 1);
      EXPECT_TRUE(std::regex_match(name, kMetricName)) << "invalid family name in: " << line;
      EXPECT_EQ(closed.count(name), 0u) << "metadata after the family's samples: " << line;
      MetricFamilyText& family = exposition.families[name];
      EXPECT_TRUE(family.samples.empty()) << "metadata after samples: " << line;
      family.name = name;
      if (help) {
        EXPECT_TRUE(family.help.empty()) << "a second # HELP: " << line;
        EXPECT_FALSE(rest.empty()) << "an empty help text: " << line;
        family.help = rest;
      } else {
        EXPECT_TRUE(family.type.empty()) << "a second # TYPE: " << line;
        static const std::set<std::string> kTypes{"counter", "gauge", "histogram", "summary", "untyped"};
        EXPECT_EQ(kTypes.count(rest), 1u) << "unknown type: " << line;
        family.type = rest;
      }
      if (current != name && !current.empty()) closed.insert(current);
      current = name;
      continue;
    }
    if (line.starts_with("#")) {
      ADD_FAILURE() << "a comment that is neither # HELP nor # TYPE: " << line;
      continue;
    }
    MetricSample sample;
    if (!parse_sample(line, sample)) continue;
    const std::string family = exposition.family_of(sample.name);
    if (family.empty()) {
      ADD_FAILURE() << "a sample of no declared family: " << line;
      continue;
    }
    if (family != current) {
      ADD_FAILURE() << "a sample away from its family's block: " << line;
      continue;
    }
    MetricFamilyText& owner = exposition.families[family];
    EXPECT_FALSE(owner.help.empty()) << "no # HELP before: " << line;
    EXPECT_FALSE(owner.type.empty()) << "no # TYPE before: " << line;
    owner.samples.push_back(std::move(sample));
  }
  for (const auto& [name, family] : exposition.families) {
    EXPECT_FALSE(family.help.empty()) << name << " has no # HELP";
    EXPECT_FALSE(family.type.empty()) << name << " has no # TYPE";
    if (family.type == "histogram") check_histogram(family);
  }
  return exposition;
}

std::string Exposition::family_of(const std::string& sample_name) const {
  if (const auto it = families.find(sample_name); it != families.end() && it->second.type != "histogram") {
    return sample_name;
  }
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (!sample_name.ends_with(suffix)) continue;
    const std::string base = sample_name.substr(0, sample_name.size() - suffix.size());
    if (const auto it = families.find(base); it != families.end() && it->second.type == "histogram") return base;
  }
  return "";
}

double Exposition::value(const std::string& name, const MetricLabels& labels) const {
  const std::string family = family_of(name);
  if (!family.empty()) {
    for (const MetricSample& sample : families.at(family).samples) {
      if (sample.name == name && sample.labels == labels) return sample.value;
    }
  }
  ADD_FAILURE() << "no sample " << name << " with the labels asked for";
  return std::numeric_limits<double>::quiet_NaN();
}

}  // namespace tomolive::testing
