// fixnet host support: file reading with gzip, atomic writing.
#include "host_files.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fixnet_host {

namespace {

bool is_gzip(const std::vector<std::uint8_t>& b) { return b.size() >= 2 && b[0] == 0x1f && b[1] == 0x8b; }

}  // namespace

bool gunzip(std::vector<std::uint8_t>& bytes, std::string& error, std::size_t max_size) {
  max_size = std::min(max_size, SIZE_MAX - 1);  // room for the one byte past it that detects more
  if (bytes.size() > std::size_t(UINT_MAX)) {
    error = "gzip file larger than 4 GiB";
    return false;
  }
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) {  // +32: accept gzip headers
    error = "cannot start gzip decoder";
    return false;
  }
  std::vector<std::uint8_t> out(std::min(bytes.size() * 4 + 1024, max_size + 1));
  std::size_t produced = 0;
  z.next_in = bytes.data();
  z.avail_in = uInt(bytes.size());
  for (;;) {
    if (produced == out.size()) {
      if (produced > max_size) {
        error = "gzip data inflates to more than " + std::to_string(max_size) + " bytes";
        inflateEnd(&z);
        return false;
      }
      out.resize(std::min(out.size() * 2, max_size + 1));
    }
    z.next_out = out.data() + produced;
    z.avail_out = uInt(std::min(out.size() - produced, std::size_t(UINT_MAX)));
    const int rc = inflate(&z, Z_NO_FLUSH);
    produced = std::size_t(z.next_out - out.data());
    if (rc == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      // A gzip file may hold several members (`cat a.gz b.gz`), read in turn.
      if (z.avail_in < 2 || z.next_in[0] != 0x1f || z.next_in[1] != 0x8b) {
        error = "data after the end of the gzip stream is not gzip";
        inflateEnd(&z);
        return false;
      }
      inflateReset(&z);
      continue;
    }
    if (rc == Z_OK || (rc == Z_BUF_ERROR && z.avail_out == 0)) continue;
    error = rc == Z_BUF_ERROR ? "gzip data ends early (truncated)"
                              : "corrupt gzip data" + (z.msg ? std::string(" (") + z.msg + ")" : "");
    inflateEnd(&z);
    return false;
  }
  inflateEnd(&z);
  if (produced > max_size) {
    error = "gzip data inflates to more than " + std::to_string(max_size) + " bytes";
    return false;
  }
  out.resize(produced);
  bytes.swap(out);
  return true;
}

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool read_file(const std::string& path, std::vector<std::uint8_t>& bytes, std::string& error) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    error = path + ": " + std::strerror(errno);
    return false;
  }
  bytes.clear();
  std::uint8_t chunk[1 << 16];
  std::size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) {
    error = path + ": read error";
    return false;
  }
  if (is_gzip(bytes) && !gunzip(bytes, error)) {
    error = path + ": " + error;
    return false;
  }
  return true;
}

bool write_file_atomic(const std::string& path, const std::uint8_t* bytes, std::size_t size, std::string& error) {
  const std::string temp = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    error = temp + ": " + std::strerror(errno);
    return false;
  }
  std::size_t done = 0;
  while (done < size) {
    const ssize_t w = ::write(fd, bytes + done, size - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      error = path + ": write failed: " + std::strerror(errno);
      ::close(fd);
      ::unlink(temp.c_str());
      return false;
    }
    done += std::size_t(w);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    error = path + ": could not flush to disk: " + std::strerror(errno);
    ::unlink(temp.c_str());
    return false;
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    error = path + ": " + std::strerror(errno);
    ::unlink(temp.c_str());
    return false;
  }
  return true;
}

}  // namespace fixnet_host
