// fixnet tests: IDX parsing against malformed files, datasets, minibatches.
#include <doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fixnet/batches.h"
#include "fixnet/idx.h"

using namespace fixnet;

namespace {

// An IDX file: type byte, dimensions, then `payload` bytes (not necessarily matching).
std::vector<std::uint8_t> idx_file(std::uint8_t type, std::vector<std::uint32_t> dims, std::size_t payload) {
  std::vector<std::uint8_t> b = {0, 0, type, std::uint8_t(dims.size())};
  for (std::uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(std::uint8_t(d >> s));
  for (std::size_t i = 0; i < payload; ++i) b.push_back(std::uint8_t(i * 7));
  return b;
}

Status parse(const std::vector<std::uint8_t>& b, IdxArray* a) { return parse_idx(b.data(), b.size(), a); }

}  // namespace

TEST_CASE("IDX: a well-formed file parses into a view of its bytes") {
  const std::vector<std::uint8_t> b = idx_file(0x08, {2, 3, 4}, 24);
  IdxArray a;
  REQUIRE(parse(b, &a).ok());
  CHECK(a.type == IdxType::u8);
  CHECK(a.rank == 3);
  CHECK(a.dims[0] == 2);
  CHECK(a.dims[2] == 4);
  CHECK(a.count == 24);
  CHECK(a.data == b.data() + 16);
  const std::vector<std::uint8_t> ints = idx_file(0x0C, {5}, 20);
  REQUIRE(parse(ints, &a).ok());
  CHECK(a.type == IdxType::i32);
  CHECK(a.count == 5);
}

TEST_CASE("IDX: truncated, oversized, lying and foreign files get the exact error") {
  IdxArray a;
  const auto error = [&](const std::vector<std::uint8_t>& b) { return std::string(parse(b, &a).message); };
  CHECK(error({0, 0, 8}) == "IDX: file is shorter than its 4-byte magic number");
  CHECK(error({0x1f, 0x8b, 8, 1, 0, 0, 0, 0}) == "IDX: not an IDX file (the first two bytes must be zero)");
  CHECK(error(idx_file(0x07, {1}, 1)) == "IDX: unknown element type byte");
  CHECK(error(idx_file(0x08, {}, 0)) == "IDX: rank must be 1 to 4");
  CHECK(error(idx_file(0x08, {1, 1, 1, 1, 1}, 1)) == "IDX: rank must be 1 to 4");
  std::vector<std::uint8_t> short_header = idx_file(0x08, {60000, 28, 28}, 0);
  short_header.resize(10);
  CHECK(error(short_header) == "IDX: header ends before its dimensions");
  CHECK(error(idx_file(0x08, {60000, 28, 28}, 100)) == "IDX: data is shorter than the dimensions promise");
  CHECK(parse(idx_file(0x08, {60000, 28, 28}, 100), &a).code == Error::truncated);
  // Dimensions whose product overflows 64 bits are refused, not wrapped.
  CHECK(error(idx_file(0x0E, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, 8)) ==
        "IDX: data is shorter than the dimensions promise");
  CHECK(error(idx_file(0x08, {2, 2}, 5)) == "IDX: bytes continue past the data the dimensions describe");
  CHECK(parse(idx_file(0x08, {2, 2}, 5), &a).code == Error::oversized);
  CHECK(error(idx_file(0x0B, {3}, 5)) == "IDX: data is shorter than the dimensions promise");  // half an element
  CHECK(error(idx_file(0x0B, {3}, 7)) == "IDX: bytes continue past the data the dimensions describe");
  CHECK(error(idx_file(0x08, {0, 5}, 1)) == "IDX: bytes continue past the data the dimensions describe");
  CHECK(parse(idx_file(0x08, {0, 5}, 0), &a).ok());
}

TEST_CASE("datasets pair images and labels and check them") {
  const std::vector<std::uint8_t> images = idx_file(0x08, {3, 2, 2}, 12), labels = idx_file(0x08, {3}, 3),
                                  bad_labels = idx_file(0x08, {2}, 2), floats = idx_file(0x0D, {3, 2, 2}, 48);
  IdxArray im, lb, bad, fl;
  REQUIRE(parse(images, &im).ok());
  REQUIRE(parse(labels, &lb).ok());  // labels 0, 7, 14
  REQUIRE(parse(bad_labels, &bad).ok());
  REQUIRE(parse(floats, &fl).ok());
  Dataset d;
  CHECK(std::string(make_dataset(im, lb, 10, &d).message) == "a label is not a valid class");
  REQUIRE(make_dataset(im, lb, 15, &d).ok());
  CHECK(d.count == 3);
  CHECK(d.image_size() == 4);
  CHECK(std::string(make_dataset(im, bad, 15, &d).message) == "image and label counts differ");
  CHECK(std::string(make_dataset(fl, lb, 15, &d).message) == "images must be an IDX array of u8 [count, rows, cols]");
  REQUIRE(make_dataset(im, lb, 15, &d).ok());
  float pixels[4];
  image_to_floats(d, 1, pixels);
  CHECK(pixels[0] == doctest::Approx(std::uint8_t(4 * 7) / 255.0));
}

TEST_CASE("minibatches visit every example once per epoch, as next_batch does") {
  constexpr int kCount = 10;
  std::vector<std::uint8_t> pixels(kCount), labels(kCount);
  for (int i = 0; i < kCount; ++i) pixels[std::size_t(i)] = labels[std::size_t(i)] = std::uint8_t(i);
  const Dataset data{pixels.data(), labels.data(), kCount, 1, 1};
  auto draw = [&](std::uint64_t seed, std::vector<int>& seen, int* epochs_after_four) {
    Rng rng(seed);
    std::int32_t order[kCount];
    BatchIterator batches;
    REQUIRE(batches.init(data, order, kCount, &rng).ok());
    for (int b = 0; b < 10; ++b) {
      float images[3];
      std::uint8_t batch_labels[3];
      REQUIRE(batches.next(3, images, batch_labels).ok());
      for (int i = 0; i < 3; ++i) {
        CHECK(images[i] == doctest::Approx(batch_labels[i] / 255.0));
        seen.push_back(batch_labels[i]);
      }
      if (b == 3) *epochs_after_four = batches.epochs_completed();
    }
  };
  std::vector<int> seen, again, other;
  int epochs = 0, unused = 0;
  draw(7, seen, &epochs);
  CHECK(epochs == 1);  // 12 examples drawn: the first epoch is complete
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<int> block(seen.begin() + epoch * kCount, seen.begin() + (epoch + 1) * kCount);
    std::sort(block.begin(), block.end());
    for (int i = 0; i < kCount; ++i) CHECK(block[std::size_t(i)] == i);
  }
  CHECK(!std::is_sorted(seen.begin(), seen.begin() + kCount));  // shuffled
  draw(7, again, &unused);
  draw(8, other, &unused);
  CHECK(seen == again);
  CHECK(seen != other);

  Rng rng(1);
  std::int32_t order[kCount];
  BatchIterator batches;
  CHECK(std::string(batches.init(data, order, kCount - 1, &rng).message) ==
        "batches: the order buffer must hold one index per example");
  REQUIRE(batches.init(data, order, kCount, &rng).ok());
  float images[11];
  std::uint8_t batch_labels[11];
  CHECK(std::string(batches.next(11, images, batch_labels).message) == "batches: batch must be 1..example count");
}
