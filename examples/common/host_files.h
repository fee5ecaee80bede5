// fixnet host support: whole-file reading (gzip transparently), atomic writing.
// For the native CLI, tests and tools; lib/ itself does no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fixnet_host {

// Reads `path` into `bytes`, inflating it when it is gzip-compressed.
// On failure returns false and sets `error` to a sentence naming the file.
bool read_file(const std::string& path, std::vector<std::uint8_t>& bytes, std::string& error);

// Writes `bytes` to `path` atomically: a temporary file in the same
// directory, flushed to disk, then renamed over `path`. Never leaves a
// partial file at `path`.
bool write_file_atomic(const std::string& path, const std::uint8_t* bytes, std::size_t size, std::string& error);

// The most bytes a gzip file may inflate to (MNIST's largest file is 47 MB).
constexpr std::size_t kMaxInflatedBytes = std::size_t(1) << 30;

// Replaces gzip data (one member or several in a row) with what it inflates
// to. On failure returns false, sets `error` to a sentence and leaves
// `bytes` as it was: corrupt or truncated data, trailing bytes that are not
// gzip, or more than `max_size` bytes of output.
bool gunzip(std::vector<std::uint8_t>& bytes, std::string& error, std::size_t max_size = kMaxInflatedBytes);

bool file_exists(const std::string& path);

}  // namespace fixnet_host
