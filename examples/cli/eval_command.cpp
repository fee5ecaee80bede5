// fixnet-mnist eval: test accuracy of a saved model, and optionally every
// test digit's prediction and logits.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "commands.h"
#include "fixnet/loss.h"
#include "host_files.h"
#include "mnist_files.h"
#include "model_loader.h"
#include "prediction_lines.h"

namespace fixnet_cli {

namespace {

// Writes every test digit's line (prediction_lines.h) to `out`; the number
// classified right to *correct.
fixnet::Status write_predictions(fixnet_host::LoadedModel& loaded, const fixnet::Dataset& test, std::FILE* out,
                                 int* correct) {
  const bool int8 = loaded.precision == fixnet::Precision::int8;
  const int batch = int8 ? loaded.int8.batch() : loaded.model.batch();
  const int classes = loaded.classes(), size = test.image_size();
  *correct = 0;
  for (int first = 0; first < test.count; first += batch) {
    const int n = test.count - first < batch ? test.count - first : batch;
    const std::int8_t* int8_logits = nullptr;
    const float* float_logits = nullptr;
    fixnet::Status s;
    if (int8) {
      s = loaded.int8.quantize_bytes(test.images + std::size_t(first) * std::size_t(size), n);
      if (s.ok()) s = loaded.int8.forward(loaded.int8.input_buffer(), n, &int8_logits);
    } else {
      for (int i = 0; i < n; ++i)
        fixnet::image_to_floats(test, first + i, loaded.model.input_buffer() + std::size_t(i) * std::size_t(size));
      s = loaded.model.forward(loaded.model.input_buffer(), n, false, nullptr, &float_logits);
    }
    if (!s.ok()) return s;
    for (int i = 0; i < n; ++i) {
      const int label = test.labels[first + i];
      const int predicted = int8 ? fixnet::argmax(int8_logits + i * classes, classes)
                                 : fixnet::argmax(float_logits + i * classes, classes);
      *correct += predicted == label;
      if (int8) {
        fixnet_host::print_prediction(out, first + i, label, predicted, int8_logits + i * classes, classes);
      } else {
        fixnet_host::print_prediction(out, first + i, label, predicted, float_logits + i * classes, classes);
      }
    }
  }
  return fixnet::ok_status();
}

}  // namespace

int eval_command(const Args& args) {
  if (!args.has("model-file")) return usage_error("eval needs --model-file FILE");
  if (!args.positional.empty()) return usage_error("eval takes no positional arguments");
  std::string error;
  int threads = 1;
  if (!args.threads(threads, error)) return usage_error(error);
  fixnet_host::LoadedModel loaded;
  if (!fixnet_host::load_model(args.text("model-file", ""), 100, threads, loaded, error)) {
    report_error(error);
    return kExitFailure;
  }
  fixnet_host::MnistData data;
  if (!fixnet_host::load_mnist(fixnet_host::mnist_directory(args.text("data", "")), data, error)) {
    report_error(error);
    return kExitFailure;
  }
  int correct = 0;
  fixnet::Status s;
  const std::string predictions = args.text("predictions", "");
  if (predictions.empty()) {
    s = loaded.evaluate(data.test, &correct);
  } else {
    // Collected in memory, then written atomically: no partial file on failure.
    char* text = nullptr;
    std::size_t length = 0;
    std::FILE* out = open_memstream(&text, &length);
    if (out == nullptr) {
      report_error("out of memory");
      return kExitFailure;
    }
    s = write_predictions(loaded, data.test, out, &correct);
    std::fclose(out);
    std::unique_ptr<char, void (*)(void*)> owned(text, std::free);
    if (s.ok() && !fixnet_host::write_file_atomic(predictions, reinterpret_cast<const std::uint8_t*>(text), length,
                                                  error)) {
      report_error(error);
      return kExitFailure;
    }
  }
  if (!s.ok()) {
    report_error(s.message);
    return kExitFailure;
  }
  std::printf("test accuracy %g\n", double(correct) / data.test.count);
  return kExitOk;
}

}  // namespace fixnet_cli
