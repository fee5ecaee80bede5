// Fuzz target: IDX parsing and the dataset made of an image file and a label
// file (the MNIST path). The input is split in two at a point its first two
// bytes choose: images, then labels.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fixnet/idx.h"
#include "fixnet/mnist.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t split = std::min(size - 2, std::size_t(data[0]) << 8 | data[1]);
  // Copies, so that ASan sees any read past either part.
  const std::vector<std::uint8_t> images(data + 2, data + 2 + split), labels(data + 2 + split, data + size);
  fixnet::IdxArray image_array, label_array;
  const bool images_ok = fixnet::parse_idx(images.data(), images.size(), &image_array).ok();
  const bool labels_ok = fixnet::parse_idx(labels.data(), labels.size(), &label_array).ok();
  if (!images_ok || !labels_ok) return 0;
  fixnet::Dataset set;
  if (!fixnet::make_dataset(image_array, label_array, fixnet::mnist::kClasses, &set).ok()) return 0;
  if (set.count > 0 && set.image_size() > 0) {
    std::vector<float> pixels(std::size_t(set.image_size()));
    fixnet::image_to_floats(set, 0, pixels.data());
    fixnet::image_to_floats(set, set.count - 1, pixels.data());
  }
  return 0;
}
