// fixnet firmware: MNIST digits from the host, and the memory report.
#include "digits.h"

#include "board.h"

namespace mcu {

namespace {

std::uint32_t big_endian(const std::uint8_t* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}

}  // namespace

DigitStream::~DigitStream() {
  if (images_ != nullptr) std::fclose(images_);
  if (labels_ != nullptr) std::fclose(labels_);
}

bool DigitStream::open(const char* images, const char* labels) {
  images_ = std::fopen(images, "rb");
  labels_ = std::fopen(labels, "rb");
  std::uint8_t head[16], label_head[8];
  if (images_ == nullptr || labels_ == nullptr || std::fread(head, 1, 16, images_) != 16 ||
      std::fread(label_head, 1, 8, labels_) != 8) {
    std::printf("cannot read the digits: %s and %s must be raw (not .gz) IDX files\n", images, labels);
    return false;
  }
  const std::uint32_t count = big_endian(head + 4);
  if (big_endian(head) != 0x803 || big_endian(head + 8) != 28 || big_endian(head + 12) != 28 ||
      big_endian(label_head) != 0x801 || big_endian(label_head + 4) != count || count > 0x7FFFFFFF) {
    std::printf("not MNIST files of 28x28 digits and their labels: %s, %s\n", images, labels);
    return false;
  }
  count_ = int(count);
  return true;
}

bool DigitStream::read(int index, std::uint8_t* pixels, int* label) {
  if (index < 0 || index >= count_) return false;
  if (index != position_ && (std::fseek(images_, 16 + long(index) * kPixels, SEEK_SET) != 0 ||
                             std::fseek(labels_, 8 + long(index), SEEK_SET) != 0))
    return false;
  std::uint8_t l = 0;
  if (std::fread(pixels, 1, kPixels, images_) != std::size_t(kPixels) || std::fread(&l, 1, 1, labels_) != 1) return false;
  position_ = index + 1;
  *label = l;
  return true;
}

bool DigitStream::next(std::uint8_t* pixels, int* label) { return read(position_, pixels, label); }

void print_memory(std::uint32_t model_bytes, std::uint32_t arena_bytes) {
  std::printf("flash %lu of %lu bytes (model %lu); RAM %lu of %lu bytes (arena %lu; stack %lu reserved)\n",
              (unsigned long)flash_used(), (unsigned long)flash_bytes(), (unsigned long)model_bytes,
              (unsigned long)ram_used(), (unsigned long)ram_bytes(), (unsigned long)arena_bytes,
              (unsigned long)stack_bytes());
}

}  // namespace mcu
