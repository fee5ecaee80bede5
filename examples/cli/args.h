// fixnet-mnist: command-line parsing. `command --name value --name=value positional...`
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace fixnet_cli {

struct Args {
  std::string command;
  std::map<std::string, std::string> options;  // without the leading "--"
  std::vector<std::string> positional;

  bool has(const std::string& name) const { return options.count(name) != 0; }
  std::string text(const std::string& name, const std::string& fallback) const;
  // Parses option `name` as an integer in [lo, hi] (fallback when absent).
  bool integer(const std::string& name, long long fallback, long long lo, long long hi, long long& out,
               std::string& error) const;
  // --threads: 1..64, all hardware threads when absent.
  bool threads(int& out, std::string& error) const;
  // Parses option `name` as a finite number in (lo, hi] (fallback when absent).
  bool number(const std::string& name, double fallback, double lo, double hi, double& out, std::string& error) const;
};

// Splits argv after the command; only options in `allowed` are accepted, each at most once.
bool parse_args(int argc, char** argv, const std::set<std::string>& allowed, Args& out, std::string& error);

}  // namespace fixnet_cli
