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

bool file_exists(const std::string& path);

}  // namespace fixnet_host
