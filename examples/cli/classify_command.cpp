// fixnet-mnist classify: the digit in each image file, with its probability.
#include <stb_image.h>

#include <climits>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "fixnet/loss.h"
#include "fixnet/mnist.h"
#include "fixnet/preprocess.h"
#include "host_files.h"
#include "image_header.h"
#include "model_loader.h"

namespace fixnet_cli {

namespace {

// The largest image classify decodes: a photo of a digit fits with room.
constexpr int kMaxImageSide = 16384;
constexpr int kMaxImagePixels = 64000000;

}  // namespace

int classify_command(const Args& args) {
  if (!args.has("model-file")) return usage_error("classify needs --model-file FILE");
  if (args.positional.empty()) return usage_error("classify needs at least one IMAGE");
  std::string error;
  int threads = 1;
  if (!args.threads(threads, error)) return usage_error(error);
  fixnet_host::LoadedModel loaded;
  if (!fixnet_host::load_model(args.text("model-file", ""), 1, threads, loaded, error)) {
    report_error(error);
    return kExitFailure;
  }
  if (!(loaded.spec().input == fixnet::mnist::kInput) || loaded.classes() != fixnet::mnist::kClasses) {
    report_error("the model is not for 28x28 grayscale digits in 10 classes");
    return kExitFailure;
  }
  int status = kExitOk;
  float probabilities[fixnet::mnist::kClasses];
  for (const std::string& path : args.positional) {
    std::vector<std::uint8_t> file;
    if (!fixnet_host::read_file(path, file, error)) {
      report_error(error);
      status = kExitFailure;
      continue;
    }
    const std::string problem = image_header_problem(file.data(), file.size());
    if (!problem.empty()) {
      report_error(path + ": " + problem);
      status = kExitFailure;
      continue;
    }
    const auto* bytes = file.data();
    const int length = file.size() > std::size_t(INT_MAX) ? INT_MAX : int(file.size());
    int width = 0, height = 0, channels = 0;
    // The header's size, checked before any pixel is decoded or allocated.
    if (stbi_info_from_memory(bytes, length, &width, &height, &channels) &&
        (width > kMaxImageSide || height > kMaxImageSide || double(width) * height > kMaxImagePixels)) {
      report_error(path + ": the image is " + std::to_string(width) + " x " + std::to_string(height) +
                   " pixels; at most " + std::to_string(kMaxImageSide) + " a side and " +
                   std::to_string(kMaxImagePixels / 1000000) + " million in all");
      status = kExitFailure;
      continue;
    }
    std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
        stbi_load_from_memory(bytes, length, &width, &height, &channels, 0), stbi_image_free);
    if (!pixels) {
      report_error(path + ": cannot read image (" + stbi_failure_reason() + ")");
      status = kExitFailure;
      continue;
    }
    fixnet::Status s = fixnet::preprocess_digit(fixnet::ImageView{pixels.get(), width, height, channels},
                                                loaded.input.data());
    if (s.ok()) s = loaded.predict(1, probabilities);
    if (!s.ok()) {
      report_error(path + ": " + (s.code == fixnet::Error::no_ink ? "no digit found (the image has no ink)" : s.message));
      status = kExitFailure;
      continue;
    }
    const int digit = fixnet::argmax(probabilities, fixnet::mnist::kClasses);
    std::printf("%s\t%d\t%.4f\n", path.c_str(), digit, double(probabilities[digit]));
  }
  return status;
}

}  // namespace fixnet_cli
