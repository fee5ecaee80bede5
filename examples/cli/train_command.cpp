// fixnet-mnist train: the tutorial's training loop, with its printout.
#include <cmath>
#include <cstdio>
#include <vector>

#include "arena.h"
#include "commands.h"
#include "fixnet/batches.h"
#include "fixnet/evaluate.h"
#include "fixnet/loss.h"
#include "fixnet/mnist.h"
#include "fixnet/model_file.h"
#include "fixnet/simd.h"
#include "host_files.h"
#include "mnist_files.h"
#include "progress.h"
#include "thread_pool.h"

namespace fixnet_cli {

namespace {

const char* optimizer_name(fixnet::OptimizerKind kind) {
  return kind == fixnet::OptimizerKind::adam ? "Adam" : "gradient descent";
}

}  // namespace

int train_command(const Args& args) {
  const std::string name = args.text("model", "");
  fixnet::mnist::Recipe recipe;
  if (name == "softmax") {
    recipe = fixnet::mnist::softmax_recipe();
  } else if (name == "cnn") {
    recipe = fixnet::mnist::cnn_recipe();
  } else if (name == "micro") {
    recipe = fixnet::mnist::micro_recipe();
  } else if (name == "nano") {
    recipe = fixnet::mnist::nano_recipe();
  } else {
    return usage_error(name.empty() ? "train needs --model softmax, cnn, micro or nano"
                                    : "unknown model '" + name + "' (choose softmax, cnn, micro or nano)");
  }
  long long steps, batch, seed;
  double lr, keep = 1.0;
  int threads = 1;
  std::string error;
  if (!args.threads(threads, error) || !args.integer("steps", recipe.steps, 1, 1000000000, steps, error) ||
      !args.integer("batch", recipe.batch, 1, 60000, batch, error) ||
      !args.integer("seed", 0, 0, 0x7fffffffffffffffLL, seed, error) ||
      !args.number("lr", recipe.optimizer.learning_rate, 0.0, 100.0, lr, error))
    return usage_error(error);
  if (fixnet::has_dropout(recipe.spec)) {
    if (!args.number("keep-prob", 0.5, 0.0, 1.0, keep, error)) return usage_error(error);
    fixnet::set_keep_prob(recipe.spec, float(keep));
  } else if (args.has("keep-prob")) {
    return usage_error("--keep-prob applies only to a model with dropout (cnn)");
  }
  recipe.optimizer.learning_rate = float(lr);
  const std::string out_path = args.text("out", ""), resume = args.text("resume", ""),
                    save_state = args.text("save-state", "");
  if (!resume.empty() && args.has("seed"))
    return usage_error("--seed does not apply to --resume (the training state holds the generator)");

  fixnet_host::MnistData data;
  if (!fixnet_host::load_mnist(fixnet_host::mnist_directory(args.text("data", "")), data, error)) {
    report_error(error);
    return kExitFailure;
  }
  if (batch > data.train.count) return usage_error("--batch is larger than the training set");
  if (data.subset)
    std::fprintf(stderr,
                 "fixnet-mnist: WARNING: %s holds the small offline MNIST subset (%d training images);\n"
                 "              accuracies are not comparable with the full set. Run tools/fetch-mnist online.\n",
                 data.directory.c_str(), data.train.count);

  fixnet::PlanOptions options;
  options.batch = int(batch);
  options.optimizer = recipe.optimizer_kind;
  options.workers = threads;
  const fixnet::Plan plan = fixnet::plan(recipe.spec, options);
  auto arena = fixnet_host::allocate_arena(plan.bytes);
  fixnet::Model model;
  fixnet::Status s = arena ? model.init(recipe.spec, options, arena.get(), plan.bytes)
                           : fixnet::fail(fixnet::Error::arena_too_small, "out of memory for the arena");
  fixnet_host::ThreadPool pool(threads);
  if (s.ok()) s = model.set_parallel(pool.parallel());
  if (!s.ok()) {
    report_error(s.message);
    return kExitFailure;
  }
  std::printf("fixnet: training %s on %d images from %s: %lld steps of %lld, %s %g, seed %lld\n", recipe.name,
              data.train.count, data.directory.c_str(), steps, batch, optimizer_name(recipe.optimizer_kind), lr, seed);
  std::printf("fixnet: %zu parameters, arena %.1f MB, kernels %s, %d thread%s\n", model.parameter_count(),
              plan.bytes / 1e6, fixnet::simd::kName, threads, threads == 1 ? "" : "s");
  std::fflush(stdout);

  fixnet::Rng rng{static_cast<std::uint64_t>(seed)};
  model.initialize_parameters(rng);
  std::vector<std::int32_t> order(std::size_t(data.train.count));
  fixnet::BatchIterator batches;
  s = batches.init(data.train, order.data(), order.size(), &rng);
  if (s.ok() && !resume.empty()) {  // carry on exactly where the saved run stopped
    std::vector<std::uint8_t> state;
    if (!fixnet_host::read_file(resume, state, error)) {
      report_error(error);
      return kExitFailure;
    }
    s = fixnet::load_training_state(state.data(), state.size(), &model, &rng, &batches);
    if (!s.ok()) {
      report_error(resume + ": " + s.message);
      return kExitFailure;
    }
    if (model.steps() > steps) return usage_error("the training state is past --steps already");
    std::printf("fixnet: resuming %s at step %lld\n", resume.c_str(), (long long)model.steps());
  }
  const long long first_step = model.steps();

  Progress progress(steps - first_step, int(batch));
  float* images = model.input_buffer();
  std::uint8_t* labels = model.label_buffer();
  for (long long step = first_step; step < steps && s.ok(); ++step) {
    s = batches.next(int(batch), images, labels);
    if (!s.ok()) break;
    if (step % 100 == 0) {  // the tutorial's report: this batch, dropout off, before the step
      const float* logits = nullptr;
      s = model.forward(images, int(batch), false, nullptr, &logits);
      if (!s.ok()) break;
      const int correct = fixnet::count_correct(logits, labels, int(batch), model.classes());
      progress.clear();
      std::printf("step %lld, training accuracy %g\n", step, double(correct) / double(batch));
      std::fflush(stdout);
    }
    fixnet::StepStats stats;
    s = model.train_step(images, labels, int(batch), recipe.optimizer, rng, &stats);
    // A loss that is not finite stops the step before its update; parameters
    // can also go bad behind a ReLU with the loss finite (checked every 100
    // steps and at the end). Either way nothing is saved.
    const bool last = step + 1 == steps;
    if (s.code == fixnet::Error::diverged || (s.ok() && (step % 100 == 99 || last) && !model.parameters_finite())) {
      progress.clear();
      report_error("training diverged " +
                   (s.ok() ? "by step " + std::to_string(step) + " (a parameter is not finite)"
                           : "at step " + std::to_string(step) + " (the loss is not finite)") +
                   "; no model written; try a smaller --lr");
      return kExitFailure;
    }
    progress.update(step + 1 - first_step);
  }
  progress.clear();
  if (!s.ok()) {
    report_error(s.message);
    return kExitFailure;
  }
  const double seconds = progress.elapsed();

  int correct = 0;
  s = fixnet::evaluate(&model, data.test, 0, data.test.count, nullptr, &correct);
  if (!s.ok()) {
    report_error(s.message);
    return kExitFailure;
  }
  std::printf("test accuracy %g\n", double(correct) / data.test.count);
  std::printf("fixnet: trained in %.1f s (%.0f images/s)\n", seconds,
              double(steps - first_step) * double(batch) / seconds);

  if (!save_state.empty()) {
    std::vector<std::uint8_t> state(
        fixnet::training_state_size(model.spec(), model.optimizer_state_count(), std::size_t(data.train.count)));
    s = fixnet::write_training_state(model, rng, &batches, state.data(), state.size(), nullptr);
    if (!s.ok() || !fixnet_host::write_file_atomic(save_state, state.data(), state.size(), error)) {
      report_error(s.ok() ? error : s.message);
      return kExitFailure;
    }
    std::printf("fixnet: training state saved to %s (%zu bytes)\n", save_state.c_str(), state.size());
  }

  if (!out_path.empty()) {
    std::vector<std::uint8_t> file(fixnet::model_file_size(model.spec()));
    s = fixnet::write_model_file(model, file.data(), file.size(), nullptr);
    if (!s.ok() || !fixnet_host::write_file_atomic(out_path, file.data(), file.size(), error)) {
      report_error(s.ok() ? error : s.message);
      return kExitFailure;
    }
    std::printf("fixnet: model saved to %s (%zu bytes)\n", out_path.c_str(), file.size());
  }
  return kExitOk;
}

}  // namespace fixnet_cli
