// fixnet tests: the random generator's skip-ahead against drawing one by one.
#include <doctest.h>

#include <cstdint>
#include <initializer_list>

#include "fixnet/random.h"

using namespace fixnet;

TEST_CASE("advancing the generator by n equals n draws, for any n and in any split") {
  for (std::uint64_t seed : {0ULL, 7ULL, 0x123456789abcdefULL}) {
    for (std::uint64_t n : {0ULL, 1ULL, 2ULL, 3ULL, 63ULL, 64ULL, 1000ULL, 51200ULL, 123457ULL}) {
      CAPTURE(seed);
      CAPTURE(n);
      Rng drawn(seed), skipped(seed), split(seed);
      for (std::uint64_t i = 0; i < n; ++i) drawn.next_u32();
      skipped.advance(n);
      split.advance(n / 3);
      split.advance(n - n / 3);
      const std::uint32_t next = drawn.next_u32();
      CHECK(skipped.next_u32() == next);
      CHECK(split.next_u32() == next);
    }
  }
}

TEST_CASE("advancing the generator far (all 64 bits of the count) composes") {
  Rng whole(3), halves(3);
  whole.advance((1ULL << 40) + 3);
  halves.advance(1ULL << 39);
  halves.advance((1ULL << 39) + 3);
  CHECK(whole.next_u32() == halves.next_u32());
  Rng around(3);
  around.advance(~0ULL);  // 2^64 - 1 draws, then one more: the period, back to the start
  around.next_u32();
  Rng start(3);
  CHECK(around.next_u32() == start.next_u32());
}

