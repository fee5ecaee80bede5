// Fuzz target: gzip inflation as every file read by the CLI goes through it
// (one member or several, truncated, corrupt, trailing bytes, bombs).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "host_files.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::uint8_t> bytes(data, data + size);
  std::string error;
  // A small cap, so that inputs that inflate far are refused quickly, as the
  // 1 GiB one refuses larger files.
  constexpr std::size_t kCap = 1 << 20;
  if (fixnet_host::gunzip(bytes, error, kCap)) {
    if (bytes.size() > kCap || !error.empty()) __builtin_trap();  // the contract
  } else if (error.empty() || bytes.size() != size) {
    __builtin_trap();  // a failure says why and leaves the input as it was
  }
  return 0;
}
