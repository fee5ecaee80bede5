// fixnet: errors as values. Every fallible function in lib/ returns a Status;
// nothing in lib/ throws, aborts or prints.
#pragma once

#include <cstdint>

namespace fixnet {

// What went wrong, coarsely; the message says exactly what.
enum class Error : std::uint8_t {
  none = 0,
  invalid_argument,       // a parameter out of its documented range
  invalid_spec,           // a model spec that cannot be built
  arena_too_small,        // the caller's buffer is smaller than the plan requires
  truncated,              // input bytes end before the data they promise
  oversized,              // input bytes continue past the data they describe
  bad_magic,              // not the expected file type
  unsupported,            // a valid file/version/type this build cannot read
  corrupt,                // checksum mismatch or an impossible value
  architecture_mismatch,  // a model file for another network
  no_ink,                 // an image with nothing drawn on it
  diverged,               // training produced a loss or parameter that is not finite
};

// The result of a fallible call: ok() or an error code with a static message.
// [[nodiscard]]: a call whose Status is dropped does not compile (warnings are
// errors); check it, or pass it on.
struct [[nodiscard]] Status {
  Error code = Error::none;
  const char* message = "ok";

  constexpr bool ok() const { return code == Error::none; }
};

constexpr Status ok_status() { return Status{}; }
constexpr Status fail(Error code, const char* message) { return Status{code, message}; }

}  // namespace fixnet
