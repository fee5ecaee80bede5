// fixnet-mnist: strict command-line parsing.
#include "args.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "thread_pool.h"

namespace fixnet_cli {

std::string Args::text(const std::string& name, const std::string& fallback) const {
  const auto it = options.find(name);
  return it == options.end() ? fallback : it->second;
}

bool Args::integer(const std::string& name, long long fallback, long long lo, long long hi, long long& out,
                   std::string& error) const {
  const auto it = options.find(name);
  if (it == options.end()) {
    out = fallback;
    return true;
  }
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0' || errno != 0 || v < lo || v > hi) {
    error = "--" + name + " must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) +
            " (got '" + it->second + "')";
    return false;
  }
  out = v;
  return true;
}

bool Args::threads(int& out, std::string& error) const {
  const int hardware = fixnet_host::ThreadPool::hardware_threads();
  long long n = 0;
  if (!integer("threads", hardware < 64 ? hardware : 64, 1, 64, n, error)) return false;
  out = int(n);
  return true;
}

bool Args::number(const std::string& name, double fallback, double lo, double hi, double& out,
                  std::string& error) const {
  const auto it = options.find(name);
  if (it == options.end()) {
    out = fallback;
    return true;
  }
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0' || errno != 0 || !std::isfinite(v) || !(v > lo) || v > hi) {
    error = "--" + name + " must be a number greater than " + std::to_string(lo) + " and at most " +
            std::to_string(hi) + " (got '" + it->second + "')";
    return false;
  }
  out = v;
  return true;
}

bool parse_args(int argc, char** argv, const std::set<std::string>& allowed, Args& out, std::string& error) {
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--", 0) != 0 || a.size() == 2) {
      out.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    const std::size_t eq = name.find('=');
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      error = "option --" + name + " needs a value";
      return false;
    }
    if (allowed.count(name) == 0) {
      error = "unknown option --" + name + " for '" + out.command + "'";
      return false;
    }
    if (out.options.count(name) != 0) {
      error = "option --" + name + " given twice";
      return false;
    }
    out.options[name] = value;
  }
  return true;
}

}  // namespace fixnet_cli
