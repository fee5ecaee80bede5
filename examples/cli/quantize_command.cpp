// fixnet-mnist quantize: a trained float model made int8 (TensorFlow Lite's
// post-training quantization), calibrated on MNIST training images.
#include <cstdio>
#include <vector>

#include "commands.h"
#include "fixnet/evaluate.h"
#include "fixnet/model_file.h"
#include "fixnet/quantize_model.h"
#include "host_files.h"
#include "mnist_files.h"
#include "model_loader.h"

namespace fixnet_cli {

namespace {

constexpr int kBatch = 100;

}  // namespace

int quantize_command(const Args& args) {
  if (!args.has("model-file")) return usage_error("quantize needs --model-file FILE");
  if (!args.has("out")) return usage_error("quantize needs --out FILE");
  if (!args.positional.empty()) return usage_error("quantize takes no positional arguments");
  std::string error;
  int threads = 1;
  long long calibration = 0;
  if (!args.threads(threads, error) || !args.integer("calibration", 3000, 1, 60000, calibration, error))
    return usage_error(error);
  const std::string path = args.text("model-file", "");
  fixnet_host::LoadedModel loaded;
  if (!fixnet_host::load_model(path, kBatch, threads, loaded, error)) {
    report_error(error);
    return kExitFailure;
  }
  if (loaded.precision != fixnet::Precision::float32) {
    report_error(path + ": already an int8 model");
    return kExitFailure;
  }
  fixnet_host::MnistData data;
  if (!fixnet_host::load_mnist(fixnet_host::mnist_directory(args.text("data", "")), data, error)) {
    report_error(error);
    return kExitFailure;
  }
  if (calibration > data.train.count) return usage_error("--calibration is larger than the training set");

  // Calibration: the first N training images, in batches.
  fixnet::ActivationRanges ranges;
  fixnet::Model& model = loaded.model;
  fixnet::Status s;
  for (int first = 0; first < calibration && s.ok(); first += kBatch) {
    const int n = int(calibration) - first < kBatch ? int(calibration) - first : kBatch;
    for (int i = 0; i < n; ++i)
      fixnet::image_to_floats(data.train, first + i, model.input_buffer() + std::size_t(i) * std::size_t(model.input_size()));
    s = fixnet::observe_ranges(&model, model.input_buffer(), n, &ranges);
  }

  fixnet::PlanOptions options{kBatch, fixnet::OptimizerKind::none, threads, false, fixnet::Precision::int8};
  const fixnet::Plan plan = fixnet::plan(model.spec(), options);
  auto arena = fixnet_host::allocate_arena(plan.bytes);
  fixnet::Int8Model int8;
  if (s.ok()) s = arena ? int8.init(model.spec(), options, arena.get(), plan.bytes)
                        : fixnet::fail(fixnet::Error::arena_too_small, "out of memory for the int8 arena");
  if (s.ok()) s = int8.set_parallel(loaded.pool->parallel());
  if (s.ok()) s = fixnet::quantize_model(model, ranges, &int8);
  int float_correct = 0, int8_correct = 0;
  if (s.ok()) s = fixnet::evaluate(&model, data.test, 0, data.test.count, nullptr, &float_correct);
  if (s.ok()) s = fixnet::evaluate(&int8, data.test, 0, data.test.count, nullptr, &int8_correct);
  std::vector<std::uint8_t> file(fixnet::int8_model_file_size(model.spec()));
  if (s.ok()) s = fixnet::write_model_file(int8, file.data(), file.size(), nullptr);
  if (!s.ok()) {
    report_error(s.message);
    return kExitFailure;
  }
  const std::string out_path = args.text("out", "");
  if (!fixnet_host::write_file_atomic(out_path, file.data(), file.size(), error)) {
    report_error(error);
    return kExitFailure;
  }
  std::printf("fixnet: calibrated on %lld training images; int8 kernels %s\n", calibration, fixnet::int8::kName);
  std::printf("float test accuracy %g\n", double(float_correct) / data.test.count);
  std::printf("int8 test accuracy %g\n", double(int8_correct) / data.test.count);
  std::printf("fixnet: int8 model saved to %s (%zu bytes)\n", out_path.c_str(), file.size());
  return kExitOk;
}

}  // namespace fixnet_cli
