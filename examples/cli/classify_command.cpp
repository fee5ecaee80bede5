// fixnet-mnist classify: the digit in each image file, with its probability.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "fixnet/loss.h"
#include "fixnet/mnist.h"
#include "fixnet/preprocess.h"
#include "host_files.h"
#include "image_decode.h"
#include "model_loader.h"

namespace fixnet_cli {

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
    DecodedImage image;
    if (!decode_image(file.data(), file.size(), image, error)) {
      report_error(path + ": " + error);
      status = kExitFailure;
      continue;
    }
    fixnet::Status s = fixnet::preprocess_digit(fixnet::ImageView{image.pixels.get(), image.width, image.height, image.channels},
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
