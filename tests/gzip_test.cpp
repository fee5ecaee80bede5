// fixnet host support: gzip inflation (several members, limits, errors).
#include <doctest.h>

#include <zlib.h>

#include <string>
#include <vector>

#include "host_files.h"

namespace {

// `raw` as one gzip member, compressed at `level`.
std::vector<std::uint8_t> gzip(const std::vector<std::uint8_t>& raw, int level) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);  // +16: gzip
  std::vector<std::uint8_t> out(deflateBound(&z, uLong(raw.size())) + 32);
  z.next_in = const_cast<std::uint8_t*>(raw.data());
  z.avail_in = uInt(raw.size());
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::vector<std::uint8_t> counting(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = std::uint8_t(i * 7 + i / 251);
  return v;
}

}  // namespace

TEST_CASE("gunzip reads every member of a gzip file") {
  const std::vector<std::uint8_t> raw = counting(100000);
  std::vector<std::uint8_t> bytes = gzip({raw.begin(), raw.begin() + 30000}, 1);
  const std::vector<std::uint8_t> second = gzip({raw.begin() + 30000, raw.end()}, 9);
  bytes.insert(bytes.end(), second.begin(), second.end());
  std::string error;
  REQUIRE(fixnet_host::gunzip(bytes, error));
  CHECK(bytes == raw);
}

TEST_CASE("gunzip refuses bad data with a reason and leaves the bytes as they were") {
  const std::vector<std::uint8_t> good = gzip(counting(5000), 6);
  struct Case {
    std::vector<std::uint8_t> bytes;
    std::size_t limit;
    std::string error;
  };
  std::vector<std::uint8_t> trailing = good, truncated(good.begin(), good.end() - 9), corrupt = good;
  trailing.insert(trailing.end(), {'n', 'o', 't', ' ', 'g', 'z'});
  corrupt[10] = 0x07;  // the first deflate block: final, of the reserved type 3
  const Case cases[] = {
      {trailing, 1 << 20, "data after the end of the gzip stream is not gzip"},
      {truncated, 1 << 20, "gzip data ends early (truncated)"},
      {corrupt, 1 << 20, "corrupt gzip data (invalid block type)"},
      {good, 4999, "gzip data inflates to more than 4999 bytes"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.error);
    std::vector<std::uint8_t> bytes = c.bytes;
    std::string error;
    CHECK_FALSE(fixnet_host::gunzip(bytes, error, c.limit));
    CHECK(error == c.error);
    CHECK(bytes == c.bytes);
  }
  std::vector<std::uint8_t> exact = good;  // output of exactly the limit is fine
  std::string error;
  CHECK(fixnet_host::gunzip(exact, error, 5000));
  CHECK(exact == counting(5000));
}
