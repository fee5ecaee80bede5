// fixnet firmware: MNIST digits streamed from the host one at a time, from
// raw IDX files opened through semihosting (as a sensor or radio would
// deliver them), and the memory report every firmware prints.
#pragma once

#include <cstdint>
#include <cstdio>

namespace mcu {

constexpr int kPixels = 28 * 28;

// An IDX image file and its label file, read digit by digit (or at random).
class DigitStream {
 public:
  ~DigitStream();
  // Opens IMAGES (u8 [count, 28, 28]) and LABELS (u8 [count]); false with a
  // message printed if they are not such files of the same count.
  bool open(const char* images, const char* labels);
  int count() const { return count_; }
  // Reads digit `index` (any order) or the next one into pixels[kPixels].
  bool read(int index, std::uint8_t* pixels, int* label);
  bool next(std::uint8_t* pixels, int* label);

 private:
  std::FILE* images_ = nullptr;
  std::FILE* labels_ = nullptr;
  int count_ = 0, position_ = 0;
};

// Prints the flash and RAM this firmware takes of the board's, with the
// model's share of flash and the arena's of RAM.
void print_memory(std::uint32_t model_bytes, std::uint32_t arena_bytes);

}  // namespace mcu
