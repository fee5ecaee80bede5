// fixnet-mnist's image decoding: fixnet's header checks and size limits
// before stb_image, on the files fuzzing found and on good images.
#include <doctest.h>

#include <string>
#include <vector>

#include "host_files.h"
#include "image_decode.h"

namespace {

std::vector<std::uint8_t> test_file(const std::string& name) {
  std::vector<std::uint8_t> bytes;
  std::string error;
  REQUIRE_MESSAGE(fixnet_host::read_file(std::string(FIXNET_SOURCE_DIR) + "/tests/" + name, bytes, error), error);
  return bytes;
}

std::string decode_error(const std::string& name) {
  const std::vector<std::uint8_t> bytes = test_file(name);
  fixnet_cli::DecodedImage image;
  std::string error;
  CHECK_FALSE(fixnet_cli::decode_image(bytes.data(), bytes.size(), image, error));
  CHECK(image.pixels == nullptr);
  return error;
}

}  // namespace

TEST_CASE("images that would break stb_image are refused before it reads them") {
  CHECK(decode_error("data/bmp_wide_145b.bmp") ==
        "the image is 7995420 x 28 pixels; at most 16384 a side and 64 million in all");
  CHECK(decode_error("data/jpeg_dht_n_gt_256_86b.jpg") == "JPEG: a Huffman table lists 410 codes (at most 256)");
  // The table's counts run past the end of the file, which stb reads as zeros.
  CHECK(decode_error("data/jpeg_dht_past_end_62b.jpg") == "JPEG: a Huffman table lists 697 codes (at most 256)");
  // 51 FF fill bytes before SOI, which stb skips.
  CHECK(decode_error("data/jpeg_fill_before_soi_115b.jpg") == "JPEG: a Huffman table lists 1684 codes (at most 256)");
  CHECK(decode_error("data/png_empty_idat_74b.png") == "PNG: an empty IDAT chunk");
  CHECK(decode_error("data/pnm_int_overflow.pgm") == "PNM: a header number has 11 digits (at most 9)");
}

TEST_CASE("good images decode to their pixels") {
  for (const char* name : {"fuzz/seeds/image/digit.pgm", "fuzz/seeds/image/digit.png", "fuzz/seeds/image/digit.bmp"}) {
    CAPTURE(name);
    const std::vector<std::uint8_t> bytes = test_file(name);
    fixnet_cli::DecodedImage image;
    std::string error;
    REQUIRE(fixnet_cli::decode_image(bytes.data(), bytes.size(), image, error));
    CHECK(error.empty());
    CHECK(image.width == 12);
    CHECK(image.height == 12);
    const int stride = image.width * image.channels;
    CHECK(image.pixels.get()[5 * stride + 6 * image.channels] == 255);  // the stroke, column 6 of rows 2..9
    CHECK(image.pixels.get()[5 * stride + 5 * image.channels] == 0);
  }
}

TEST_CASE("a file that is no image says why") {
  const std::uint8_t text[] = {'h', 'e', 'l', 'l', 'o'};
  fixnet_cli::DecodedImage image;
  std::string error;
  CHECK_FALSE(fixnet_cli::decode_image(text, sizeof text, image, error));
  CHECK(error == "cannot read image (Image not of any known type, or corrupt)");
  CHECK_FALSE(fixnet_cli::decode_image(nullptr, 0, image, error));
  CHECK(!error.empty());
}
