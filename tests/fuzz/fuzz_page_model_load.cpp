// Fuzz target: the web page's model load (wasm/bindings.cpp built natively):
// a file's bytes in the page's buffer, fx_model_load, then what the page does
// with a loaded model: classify a drawing, save the model and load the saved
// file back.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "checksum.h"

extern "C" {
std::uint8_t* fx_buffer(int which);
std::uint32_t fx_buffer_capacity(int which);
int fx_model_load(std::uint32_t size);
int fx_classify(int width, int height);
std::uint32_t fx_model_save();
}

namespace {

constexpr int kModelFileBuffer = 4, kImageBuffer = 5;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > fx_buffer_capacity(kModelFileBuffer)) return 0;
  std::uint8_t* file = fx_buffer(kModelFileBuffer);
  std::memcpy(file, data, size);
  // As it is, then with its checksum right.
  if (fx_model_load(std::uint32_t(size)) != 0) {
    if (!fixnet_fuzz::fix_checksum(file, size) || fx_model_load(std::uint32_t(size)) != 0) return 0;
  }
  // A stroke on a 56x56 RGBA canvas.
  std::uint8_t* image = fx_buffer(kImageBuffer);
  std::memset(image, 0, 56 * 56 * 4);
  for (int y = 10; y < 46; ++y) image[(y * 56 + 28) * 4 + 3] = 255;
  const int classified = fx_classify(56, 56);
  if (classified != 0) __builtin_trap();  // a loaded model classifies any drawing with ink
  const std::uint32_t saved = fx_model_save();
  if (saved == 0 || fx_model_load(saved) != 0) __builtin_trap();  // what it saves, it loads
  return 0;
}
