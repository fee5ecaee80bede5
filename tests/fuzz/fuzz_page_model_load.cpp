// Fuzz target: the web page's model load (wasm/bindings.cpp built natively):
// a file's bytes in the page's buffer, fx_model_load, then what the page does
// with a loaded model: classify a drawing, show it inside the model,
// fine-tune on two taught examples (with a small made-up MNIST), save the
// model and load the saved file back.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "checksum.h"

extern "C" {
std::uint8_t* fx_buffer(int which);
std::uint32_t fx_buffer_capacity(int which);
int fx_set_data(std::uint32_t train_images_size, std::uint32_t train_labels_size, std::uint32_t test_images_size,
                std::uint32_t test_labels_size);
int fx_model_load(std::uint32_t size);
int fx_model_int8();
int fx_classify(int width, int height);
int fx_inside();
const int* fx_inside_view(int view);
int fx_examples_correct(int count);
int fx_tune_start(int count, float learning_rate, std::uint32_t seed);
int fx_tune(int steps);
std::uint32_t fx_model_save();
}

namespace {

enum Buffer { train_images, train_labels, test_images, test_labels, model_file, image, examples, example_labels };
constexpr int kPixels = 28 * 28;
constexpr std::uint32_t kInsideFloats = 1 << 16;  // page_memory.h

// Writes an IDX file of `count` items (28x28 images, or labels) into buffer `which`; returns its size.
std::uint32_t write_idx(int which, std::uint32_t count, bool images) {
  std::uint8_t* out = fx_buffer(which);
  const std::uint8_t header[16] = {0, 0, 8, std::uint8_t(images ? 3 : 1), 0, 0, 0, std::uint8_t(count), 0, 0, 0, 28, 0, 0, 0, 28};
  const std::uint32_t header_size = images ? 16 : 8, item = images ? kPixels : 1;
  std::memcpy(out, header, header_size);
  for (std::uint32_t i = 0; i < count * item; ++i) out[header_size + i] = std::uint8_t(images ? (i * 37) % 251 : i % 10);
  return header_size + count * item;
}

// A small MNIST-shaped data set (60 training and 10 test digits) and two
// taught examples, once.
bool set_up() {
  const std::uint32_t a = write_idx(train_images, 60, true), b = write_idx(train_labels, 60, false);
  const std::uint32_t c = write_idx(test_images, 10, true), d = write_idx(test_labels, 10, false);
  if (fx_set_data(a, b, c, d) != 0) __builtin_trap();
  for (int i = 0; i < 2 * kPixels; ++i) fx_buffer(examples)[i] = std::uint8_t(i % 7 == 0 ? 255 : 0);
  fx_buffer(example_labels)[0] = 3;
  fx_buffer(example_labels)[1] = 7;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool ready = set_up();
  (void)ready;
  if (size > fx_buffer_capacity(model_file)) return 0;
  std::uint8_t* file = fx_buffer(model_file);
  std::memcpy(file, data, size);
  // As it is, then with its checksum right.
  if (fx_model_load(std::uint32_t(size)) != 0) {
    if (!fixnet_fuzz::fix_checksum(file, size) || fx_model_load(std::uint32_t(size)) != 0) return 0;
  }
  // A stroke on a 56x56 RGBA canvas.
  std::uint8_t* canvas = fx_buffer(image);
  std::memset(canvas, 0, 56 * 56 * 4);
  for (int y = 10; y < 46; ++y) canvas[(y * 56 + 28) * 4 + 3] = 255;
  const int classified = fx_classify(56, 56);
  if (classified != 0) __builtin_trap();  // a loaded model classifies any drawing with ink
  const bool int8 = fx_model_int8() == 1;
  const int views = fx_inside();
  if (int8 != (views < 0)) __builtin_trap();  // a float model is shown inside, an int8 one is not
  for (int v = 0; v < views; ++v) {
    const int* view = fx_inside_view(v);  // layer, kind, height, width, channels, offset
    if (std::uint64_t(view[5]) + std::uint64_t(view[2]) * view[3] * view[4] > kInsideFloats) __builtin_trap();
  }
  if (fx_examples_correct(2) < 0) __builtin_trap();
  // A model too large to fine-tune is refused and kept; one that diverges is dropped.
  if (!int8 && fx_tune_start(2, 1e-3f, 1) == 0 && fx_tune(1) != 0) return 0;
  const std::uint32_t saved = fx_model_save();
  if (saved == 0 || fx_model_load(saved) != 0) __builtin_trap();  // what it saves, it loads
  return 0;
}
