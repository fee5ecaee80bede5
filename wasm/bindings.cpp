// fixnet web: the C functions the page's worker calls. Thin: each translates
// between JavaScript's view of memory and lib/, which does all the work. All
// storage is static and sized in page_memory.h; nothing is allocated but the
// thread pool of the threaded build, once.
#if defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>
#else  // a native build of the bindings, for their fuzz target
#define EMSCRIPTEN_KEEPALIVE
#endif

#include <cstdint>
#include <cstring>
#include <optional>

#include "fixnet/batches.h"
#include "fixnet/evaluate.h"
#include "fixnet/int8_model.h"
#include "fixnet/loss.h"
#include "fixnet/mnist.h"
#include "fixnet/model.h"
#include "fixnet/model_file.h"
#include "fixnet/preprocess.h"
#include "fixnet/simd.h"
#include "page_memory.h"
#if defined(__EMSCRIPTEN_PTHREADS__)
#include "thread_pool.h"
#endif

using namespace fixnet;
using namespace fixnet_web;

namespace {

alignas(kArenaAlignment) std::byte g_arena[kArenaBytes];
std::uint8_t g_train_images[kTrainImagesBytes], g_train_labels[kTrainLabelsBytes];
std::uint8_t g_test_images[kTestImagesBytes], g_test_labels[kTestLabelsBytes];
std::int32_t g_order[kTrainCount];
std::uint8_t g_predictions[kTestCount];
std::uint8_t g_model_file[kModelFileBytes];
std::uint8_t g_image[kImageBytes];
float g_probabilities[mnist::kClasses];
float g_digit[kPixels];             // the last drawing as the model sees it
float g_picture[kPictureFloats];    // an int8 model's pictured weights, dequantized
std::uint8_t g_examples[kMaxExamples * kPixels], g_example_labels[kMaxExamples];  // the visitor's
float g_inside[kInsideFloats];      // the last drawing's views (fx_inside)
int g_views[kMaxLayers][kInsideFields];

Model g_model;
Int8Model g_int8;  // the model when an int8 file was loaded (g_is_int8)
Rng g_rng;
BatchIterator g_batches;
OptimizerSettings g_optimizer;
Dataset g_train, g_test;
bool g_have_data = false, g_have_model = false, g_trainable = false, g_is_int8 = false;
bool g_have_digit = false;  // g_digit holds a drawing
int g_tune_examples = 0;  // > 0 while the model is planned for fine-tuning on that many examples
Status g_status;
float g_loss_sum = 0.0f;  // over the last fx_train call
int g_correct_sum = 0;
Parallel g_parallel;  // one thread until fx_set_threads
#if defined(__EMSCRIPTEN_PTHREADS__)
std::optional<fixnet_host::ThreadPool> g_pool;
#endif

// Buffers JavaScript fills or reads, by number.
enum Buffer {
  train_images, train_labels, test_images, test_labels, model_file, image, examples, example_labels, buffer_count
};
std::uint8_t* const kBuffers[buffer_count] = {g_train_images, g_train_labels, g_test_images, g_test_labels,
                                              g_model_file,   g_image,        g_examples,    g_example_labels};
const std::size_t kCapacities[buffer_count] = {kTrainImagesBytes, kTrainLabelsBytes, kTestImagesBytes,
                                               kTestLabelsBytes,  kModelFileBytes,   kImageBytes,
                                               sizeof g_examples, sizeof g_example_labels};
static_assert(kMaxExamples <= kTestCount, "g_predictions holds the examples' predictions");

// Records `s`; returns 0 when ok, else its error code (>0).
int report(Status s) {
  g_status = s;
  return int(s.code);
}

Status make_set(std::uint8_t* images, std::size_t images_size, std::uint8_t* labels, std::size_t labels_size,
                Dataset* out) {
  IdxArray im, lb;
  Status s = parse_idx(images, images_size, &im);
  if (s.ok()) s = parse_idx(labels, labels_size, &lb);
  if (s.ok()) s = make_dataset(im, lb, mnist::kClasses, out);
  if (s.ok() && (out->rows != mnist::kSide || out->cols != mnist::kSide))
    s = fail(Error::unsupported, "MNIST images must be 28x28");
  return s;
}

// `s`, after dropping the model when it says training diverged.
Status discard_if_diverged(Status s) {
  if (s.code == Error::diverged) {
    g_have_model = g_trainable = false;
    g_tune_examples = 0;
  }
  return s;
}

// Runs `steps` training steps of the model on the batches fill(input,
// labels) writes into its buffers, summing their losses and correct answers
// into g_loss_sum and g_correct_sum. Error::diverged when a loss (the step is
// not made) or, after the steps, a parameter is not finite (then
// `diverged`): the model is then discarded.
template <class Fill>
Status train_steps(int steps, Fill fill, const char* diverged) {
  g_loss_sum = 0.0f;
  g_correct_sum = 0;
  float* input = g_model.input_buffer();
  std::uint8_t* labels = g_model.label_buffer();
  for (int i = 0; i < steps; ++i) {
    Status s = fill(input, labels);
    StepStats stats;
    if (s.ok()) s = g_model.train_step(input, labels, g_model.batch(), g_optimizer, g_rng, &stats);
    if (!s.ok()) return discard_if_diverged(s);
    g_loss_sum += stats.loss;
    g_correct_sum += stats.correct;
  }
  if (!g_model.parameters_finite()) return discard_if_diverged(fail(Error::diverged, diverged));
  return ok_status();
}

const ModelSpec& current_spec() { return g_is_int8 ? g_int8.spec() : g_model.spec(); }

// 0 softmax, 1 the tutorial CNN, 2 the micro CNN, 3 another architecture.
int kind_of(const ModelSpec& spec) {
  if (same_architecture(spec, mnist::softmax_spec())) return 0;
  if (same_architecture(spec, mnist::cnn_spec())) return 1;
  if (same_architecture(spec, mnist::micro_spec())) return 2;
  return 3;
}

// Fine-tuning trains the layers from the first dense layer on and keeps the
// ones before it: the convolutions' stroke detectors were learnt from 60,000
// digits and a visitor's handful cannot improve them, only bend them (and
// MNIST with them); the dense layers decide which strokes make which digit,
// which is where a style differs. A step then skips the convolutions'
// backward pass, most of a step's work. A network without dense layers trains whole.
int tuned_from(const ModelSpec& spec) {
  for (int i = 0; i < spec.layer_count; ++i)
    if (spec.layers[i].kind == LayerKind::dense) return i;
  return 0;
}

// Writes example `index` of the visitor's as floats at `out`, moved by (dx,
// dy) pixels (what moves out is lost, what comes in is blank).
void shifted_example(int index, int dx, int dy, float* out) {
  const std::uint8_t* image = g_examples + std::size_t(index) * kPixels;
  const int side = mnist::kSide;
  for (int y = 0; y < side; ++y)
    for (int x = 0; x < side; ++x) {
      const int sy = y - dy, sx = x - dx;
      const bool inside = sy >= 0 && sy < side && sx >= 0 && sx < side;
      out[y * side + x] = inside ? float(image[sy * side + sx]) / 255.0f : 0.0f;
    }
}

// The visitor's first `count` examples as a Dataset.
Dataset examples_set(int count) { return Dataset{g_examples, g_example_labels, count, mnist::kSide, mnist::kSide}; }

// Collects the inside views while Model::observe runs: a view per
// convolution and dense layer, showing the output of the activation that
// follows it when there is one.
struct InsideViews {
  int count = 0;
  std::size_t used = 0;  // floats of g_inside
  int last_layer = -1;   // the layer whose output the last view holds

  static void collect(void* context, int layer, const float* output, std::size_t floats) {
    InsideViews& views = *static_cast<InsideViews*>(context);
    const LayerKind kind = g_model.spec().layers[layer].kind;
    const bool activation = kind == LayerKind::relu || kind == LayerKind::sigmoid || kind == LayerKind::tanh;
    if (activation && views.count > 0 && views.last_layer == layer - 1) {
      std::memcpy(g_inside + g_views[views.count - 1][5], output, floats * sizeof(float));
      views.last_layer = layer;
      return;
    }
    if ((kind != LayerKind::conv2d && kind != LayerKind::dense) || floats > kInsideFloats - views.used) return;
    const Dims d = g_model.plan().layers[layer].output;
    int* view = g_views[views.count++];
    const int fields[kInsideFields] = {layer, int(kind), d.height, d.width, d.channels, int(views.used)};
    std::memcpy(view, fields, sizeof fields);
    std::memcpy(g_inside + views.used, output, floats * sizeof(float));
    views.used += floats;
    views.last_layer = layer;
  }
};

}  // namespace

extern "C" {

// --- memory shared with JavaScript ---------------------------------------------

// Address and capacity of buffer `which` (see enum Buffer).
EMSCRIPTEN_KEEPALIVE std::uint8_t* fx_buffer(int which) {
  return which >= 0 && which < buffer_count ? kBuffers[which] : nullptr;
}
EMSCRIPTEN_KEEPALIVE std::uint32_t fx_buffer_capacity(int which) {
  return which >= 0 && which < buffer_count ? std::uint32_t(kCapacities[which]) : 0;
}

// The message of the last failed call.
EMSCRIPTEN_KEEPALIVE const char* fx_error() { return g_status.message; }

// The instruction set, the arena's size and all static storage, for the page to show.
EMSCRIPTEN_KEEPALIVE const char* fx_simd() { return simd::kName; }
EMSCRIPTEN_KEEPALIVE std::uint32_t fx_arena_bytes() { return std::uint32_t(kArenaBytes); }
EMSCRIPTEN_KEEPALIVE std::uint32_t fx_static_bytes() { return std::uint32_t(kStaticBytes); }

// Uses `threads` threads (1..8) in the threaded build; returns how many it uses
// (always 1 in the single-threaded build).
EMSCRIPTEN_KEEPALIVE int fx_set_threads(int threads) {
#if defined(__EMSCRIPTEN_PTHREADS__)
  threads = threads < 1 ? 1 : (threads > kWorkers ? kWorkers : threads);
  g_pool.reset();
  g_parallel = Parallel{};
  if (threads > 1) {
    g_pool.emplace(threads);
    g_parallel = g_pool->parallel();
  }
#else
  threads = 1;
#endif
  if (g_have_model) {
    const Status s = g_is_int8 ? g_int8.set_parallel(g_parallel) : g_model.set_parallel(g_parallel);
    if (!s.ok()) report(s);  // cannot happen: every plan of the page holds kWorkers
  }
  return threads;
}

// --- data ------------------------------------------------------------------------

// Parses the four IDX files JavaScript wrote into buffers 0..3 (their byte counts given).
EMSCRIPTEN_KEEPALIVE int fx_set_data(std::uint32_t train_images_size, std::uint32_t train_labels_size,
                                     std::uint32_t test_images_size, std::uint32_t test_labels_size) {
  g_have_data = false;
  const std::uint32_t sizes[4] = {train_images_size, train_labels_size, test_images_size, test_labels_size};
  for (int i = 0; i < 4; ++i)
    if (sizes[i] > kCapacities[i]) return report(fail(Error::oversized, "an MNIST file is larger than its buffer"));
  Status s = make_set(g_train_images, train_images_size, g_train_labels, train_labels_size, &g_train);
  if (!s.ok()) return report(s);
  s = make_set(g_test_images, test_images_size, g_test_labels, test_labels_size, &g_test);
  if (!s.ok()) return report(s);
  g_have_data = true;
  return report(ok_status());
}
EMSCRIPTEN_KEEPALIVE int fx_train_count() { return g_have_data ? g_train.count : 0; }
EMSCRIPTEN_KEEPALIVE int fx_test_count() { return g_have_data ? g_test.count : 0; }
// Test image `index` (784 bytes) and its label; null and -1 outside the test set.
EMSCRIPTEN_KEEPALIVE const std::uint8_t* fx_test_image(int index) {
  return g_have_data && index >= 0 && index < g_test.count ? g_test.images + std::size_t(index) * kPixels : nullptr;
}
EMSCRIPTEN_KEEPALIVE int fx_test_label(int index) {
  return g_have_data && index >= 0 && index < g_test.count ? g_test.labels[index] : -1;
}

// --- training ----------------------------------------------------------------------

// The largest batch the page's memory holds for `kind` (0 softmax, 1 CNN).
EMSCRIPTEN_KEEPALIVE int fx_max_batch(int kind) { return kind == 1 ? kMaxCnnBatch : kMaxSoftmaxBatch; }

// A fresh model of `kind` (0 softmax, 1 CNN) for training with `batch`,
// learning rate and dropout keep probability (CNN), initialised from `seed`.
// Bad settings are refused before the current model is touched.
EMSCRIPTEN_KEEPALIVE int fx_model_new(int kind, int batch, float learning_rate, float keep_prob, std::uint32_t seed) {
  if (!g_have_data) return report(fail(Error::invalid_argument, "no data loaded"));
  if (kind != 0 && kind != 1) return report(fail(Error::invalid_argument, "model must be softmax or cnn"));
  if (batch < 1 || batch > fx_max_batch(kind))
    return report(fail(Error::invalid_argument, kind == 1 ? "batch must be 1..100 for the CNN"
                                                          : "batch must be 1..1000 for softmax"));
  if (!(learning_rate > 0.0f) || learning_rate > 100.0f)
    return report(fail(Error::invalid_argument, "learning rate must be positive and at most 100"));
  if (kind == 1 && !(keep_prob > 0.0f && keep_prob <= 1.0f))
    return report(fail(Error::invalid_argument, "dropout keep probability must be in (0, 1]"));
  mnist::Recipe recipe = kind == 1 ? mnist::cnn_recipe() : mnist::softmax_recipe();
  if (kind == 1) set_keep_prob(recipe.spec, keep_prob);
  g_have_model = g_trainable = g_is_int8 = false;
  g_tune_examples = 0;
  g_optimizer = recipe.optimizer;
  g_optimizer.learning_rate = learning_rate;
  Status s = g_model.init(recipe.spec, {batch, recipe.optimizer_kind, kWorkers}, g_arena, sizeof g_arena);
  if (s.ok()) s = g_model.set_parallel(g_parallel);
  if (!s.ok()) return report(s);
  g_rng.reseed(seed);
  g_model.initialize_parameters(g_rng);
  s = g_batches.init(g_train, g_order, kTrainCount, &g_rng);
  if (!s.ok()) return report(s);
  g_have_model = g_trainable = true;
  return report(ok_status());
}

// Runs `steps` training steps; fx_train_loss_sum() and fx_train_correct() then
// give the sums over them of the batch loss and of correct predictions.
// Error::diverged when a loss (the step is not made) or, after the steps, a
// parameter is not finite: the model is then discarded (there is none).
EMSCRIPTEN_KEEPALIVE int fx_train(int steps) {
  if (!g_trainable || g_tune_examples > 0) return report(fail(Error::invalid_argument, "no model to train"));
  return report(train_steps(
      steps, [](float* input, std::uint8_t* labels) { return g_batches.next(g_model.batch(), input, labels); },
      "training diverged: a parameter is not finite (try a smaller learning rate)"));
}
EMSCRIPTEN_KEEPALIVE float fx_train_loss_sum() { return g_loss_sum; }
EMSCRIPTEN_KEEPALIVE int fx_train_correct() { return g_correct_sum; }
EMSCRIPTEN_KEEPALIVE int fx_model_batch() { return g_have_model ? (g_is_int8 ? g_int8.batch() : g_model.batch()) : 0; }
EMSCRIPTEN_KEEPALIVE std::uint32_t fx_model_steps() { return std::uint32_t(g_model.steps()); }

// Correct predictions on test images [first, first + count); the predicted
// classes go to fx_predictions().
EMSCRIPTEN_KEEPALIVE int fx_evaluate(int first, int count) {
  if (!g_have_model || !g_have_data) {
    report(fail(Error::invalid_argument, "no model or no data"));
    return -1;
  }
  int correct = 0;
  const Status s = g_is_int8 ? evaluate(&g_int8, g_test, first, count, g_predictions, &correct)
                             : evaluate(&g_model, g_test, first, count, g_predictions, &correct);
  report(s);
  return s.ok() ? correct : -1;
}
EMSCRIPTEN_KEEPALIVE const std::uint8_t* fx_predictions() { return g_predictions; }

// The class the model gives test image `index` (one forward pass of batch 1;
// it uses the input buffer as fx_classify does), or -1.
EMSCRIPTEN_KEEPALIVE int fx_predict_test_image(int index) {
  if (!g_have_model || !g_have_data || index < 0 || index >= g_test.count) {
    report(fail(Error::invalid_argument, "no model, no data or no such test image"));
    return -1;
  }
  if (g_is_int8) {
    const std::int8_t* logits = nullptr;
    Status s = g_int8.quantize_bytes(g_test.images + std::size_t(index) * kPixels, 1);
    if (s.ok()) s = g_int8.forward(g_int8.input_buffer(), 1, &logits);
    report(s);
    return s.ok() ? argmax(logits, g_int8.classes()) : -1;
  }
  image_to_floats(g_test, index, g_model.input_buffer());
  const float* logits = nullptr;
  const Status s = g_model.forward(g_model.input_buffer(), 1, false, nullptr, &logits);
  report(s);
  return s.ok() ? argmax(logits, g_model.classes()) : -1;
}

// --- drawing ------------------------------------------------------------------------

// Classifies the RGBA image of width x height JavaScript wrote into buffer 5:
// preprocessing into fx_digit_input() (28x28, the model's view) and softmax
// probabilities into fx_probabilities(). Error::no_ink (10) for a blank image.
EMSCRIPTEN_KEEPALIVE int fx_classify(int width, int height) {
  if (!g_have_model) return report(fail(Error::invalid_argument, "no model yet: train or load one"));
  if (width < 1 || height < 1 || width > kMaxImageSide || height > kMaxImageSide)
    return report(fail(Error::invalid_argument, "image must be 1..1024 pixels a side"));
  Status s = preprocess_digit(ImageView{g_image, width, height, 4}, g_digit);
  g_have_digit = s.ok();
  if (s.ok()) s = g_is_int8 ? g_int8.predict(g_digit, 1, g_probabilities) : g_model.predict(g_digit, 1, g_probabilities);
  return report(s);
}
EMSCRIPTEN_KEEPALIVE const float* fx_digit_input() { return g_digit; }
EMSCRIPTEN_KEEPALIVE const float* fx_probabilities() { return g_probabilities; }

// Shows the last classified drawing to the float model layer by layer:
// returns how many views it made (the outputs of its convolutions and dense
// layers after their activations, as fx_inside_view describes; a layer too
// large for the page's buffer is left out), or -1 (an int8 model, no model,
// no drawing).
EMSCRIPTEN_KEEPALIVE int fx_inside() {
  if (!g_have_model || g_is_int8 || !g_have_digit) {
    report(fail(Error::invalid_argument, g_is_int8 ? "the inside view shows float models only" : "no model or no drawing"));
    return -1;
  }
  InsideViews views;
  const Status s = g_model.observe(g_digit, 1, {&InsideViews::collect, &views});
  report(s);
  return s.ok() ? views.count : -1;
}
// View `view` of the last fx_inside: {layer, LayerKind, height, width,
// channels, offset into fx_inside_floats()}; its values are [height, width,
// channels] (channels last).
EMSCRIPTEN_KEEPALIVE const int* fx_inside_view(int view) {
  return view >= 0 && view < kMaxLayers ? g_views[view] : nullptr;
}
EMSCRIPTEN_KEEPALIVE const float* fx_inside_floats() { return g_inside; }

// --- teaching: fine-tuning on the visitor's examples -----------------------------------

// How many of the visitor's first `count` examples (buffers 6 and 7: 28x28
// bytes and labels) the current model reads right; -1 on error.
EMSCRIPTEN_KEEPALIVE int fx_examples_correct(int count) {
  if (!g_have_model || count < 0 || count > kMaxExamples) {
    report(fail(Error::invalid_argument, "no model, or not 0..1000 examples"));
    return -1;
  }
  int correct = 0;
  const Dataset set = examples_set(count);
  Status s = ok_status();
  for (int i = 0; i < count && s.ok(); ++i)
    if (g_example_labels[i] >= mnist::kClasses) s = fail(Error::invalid_argument, "an example's label is not 0..9");
  if (s.ok() && count > 0)
    s = g_is_int8 ? evaluate(&g_int8, set, 0, count, g_predictions, &correct)
                  : evaluate(&g_model, set, 0, count, g_predictions, &correct);
  report(s);
  return s.ok() ? correct : -1;
}

// Plans the current float model for fine-tuning (gradient descent at
// `learning_rate`, batches of kTuneBatch, the layers tuned_from() chooses; a
// trained model's gradients are small on MNIST and large on the examples it
// reads wrong, so its steps go where those need them) on the visitor's
// first `count` examples mixed with MNIST's training digits, drawn from
// `seed`. The model keeps its parameters.
EMSCRIPTEN_KEEPALIVE int fx_tune_start(int count, float learning_rate, std::uint32_t seed) {
  if (!g_have_model) return report(fail(Error::invalid_argument, "no model to fine-tune"));
  if (g_is_int8)
    return report(fail(Error::unsupported, "an int8 model cannot be fine-tuned: train or load a float model"));
  if (!g_have_data)
    return report(fail(Error::invalid_argument, "fine-tuning mixes in MNIST's training digits: MNIST is not loaded"));
  if (count < 1 || count > kMaxExamples)
    return report(fail(Error::invalid_argument, "fine-tuning needs 1..1000 examples"));
  for (int i = 0; i < count; ++i)
    if (g_example_labels[i] >= mnist::kClasses) return report(fail(Error::invalid_argument, "an example's label is not 0..9"));
  if (!(learning_rate > 0.0f) || learning_rate > 1.0f)
    return report(fail(Error::invalid_argument, "learning rate must be positive and at most 1"));
  std::size_t size = 0;
  Status s = write_model_file(g_model, g_model_file, sizeof g_model_file, &size);
  const PlanOptions options{kTuneBatch, OptimizerKind::gradient_descent, kWorkers, false, Precision::float32,
                            tuned_from(g_model.spec())};
  static Plan tune_plan;  // kept off the stack
  if (s.ok()) s = plan_model_file(g_model_file, size, options, &tune_plan);
  if (s.ok() && tune_plan.bytes > sizeof g_arena)
    s = fail(Error::arena_too_small, "this model is too large to fine-tune in the page's memory");
  if (!s.ok()) return report(s);  // the model is untouched
  Precision precision = Precision::float32;
  s = load_model_file(g_model_file, size, options, g_arena, sizeof g_arena, &g_model, &g_int8, &precision);
  if (s.ok()) s = g_model.set_parallel(g_parallel);
  if (s.ok()) s = g_batches.init(g_train, g_order, kTrainCount, &g_rng);
  g_have_model = g_trainable = s.ok();  // a file just written and planned loads: only a bug fails here
  if (!s.ok()) return report(s);
  g_optimizer = OptimizerSettings{learning_rate};
  g_rng.reseed(seed);
  g_tune_examples = count;
  return report(ok_status());
}

// Runs `steps` fine-tuning steps after fx_tune_start: each batch holds
// kTuneExamplesPerBatch of the visitor's examples (drawn at random, each
// moved by up to 2 pixels each way) and MNIST training digits. Sums and
// errors as fx_train's.
EMSCRIPTEN_KEEPALIVE int fx_tune(int steps) {
  if (!g_trainable || g_tune_examples == 0) return report(fail(Error::invalid_argument, "no fine-tuning under way"));
  const auto fill = [](float* input, std::uint8_t* labels) {
    for (int k = 0; k < kTuneExamplesPerBatch; ++k) {
      const int e = int(g_rng.below(std::uint32_t(g_tune_examples)));
      const int dx = int(g_rng.below(5)) - 2, dy = int(g_rng.below(5)) - 2;
      shifted_example(e, dx, dy, input + std::size_t(k) * kPixels);
      labels[k] = g_example_labels[e];
    }
    return g_batches.next(kTuneBatch - kTuneExamplesPerBatch, input + kTuneExamplesPerBatch * kPixels,
                          labels + kTuneExamplesPerBatch);
  };
  return report(train_steps(steps, fill, "fine-tuning diverged: a parameter is not finite (try a smaller learning rate)"));
}

// --- model files and parameters ----------------------------------------------------

// Writes the model file into buffer 4; returns its size (0 on error).
EMSCRIPTEN_KEEPALIVE std::uint32_t fx_model_save() {
  if (!g_have_model) {
    report(fail(Error::invalid_argument, "no model to save"));
    return 0;
  }
  std::size_t written = 0;
  const Status s = g_is_int8 ? write_model_file(g_int8, g_model_file, sizeof g_model_file, &written)
                             : write_model_file(g_model, g_model_file, sizeof g_model_file, &written);
  report(s);
  return s.ok() ? std::uint32_t(written) : 0;
}

// Loads the model file of `size` bytes in buffer 4, float or int8, whatever
// architecture it records if it fits the page's memory; the model then
// classifies and evaluates (training starts a fresh float model). The whole
// file is checked (magic, version, size, checksum, architecture, int8
// values) before the current model is touched: a bad file leaves it working.
EMSCRIPTEN_KEEPALIVE int fx_model_load(std::uint32_t size) {
  if (size > kModelFileBytes) return report(fail(Error::oversized, "model file is larger than any this page can hold"));
  const PlanOptions options{kEvaluationBatch, OptimizerKind::none, kWorkers};
  static Plan file_plan;  // kept off the stack
  Status s = plan_model_file(g_model_file, size, options, &file_plan);
  if (!s.ok()) return report(s);
  if (!(file_plan.spec.input == mnist::kInput) || file_plan.classes != mnist::kClasses)
    return report(fail(Error::architecture_mismatch, "model file is not for 28x28 digits in 10 classes"));
  if (file_plan.bytes > sizeof g_arena)
    return report(fail(Error::arena_too_small, "model file holds a network too large for this page"));
  Precision precision = Precision::float32;
  s = load_model_file(g_model_file, size, options, g_arena, sizeof g_arena, &g_model, &g_int8, &precision);
  if (!s.ok()) return report(s);  // refused before either model was touched
  g_trainable = false;
  g_tune_examples = 0;
  g_is_int8 = precision == Precision::int8;
  s = g_is_int8 ? g_int8.set_parallel(g_parallel) : g_model.set_parallel(g_parallel);
  g_have_model = s.ok();
  return report(s);
}

// 0 softmax, 1 CNN, 2 micro CNN, 3 another architecture, -1 none.
EMSCRIPTEN_KEEPALIVE int fx_model_kind() { return g_have_model ? kind_of(current_spec()) : -1; }
// 1 when the model is int8 (loaded from an int8 file), else 0.
EMSCRIPTEN_KEEPALIVE int fx_model_int8() { return g_have_model && g_is_int8 ? 1 : 0; }

// Weights of layer `layer` as floats, [inputs, units] or [kh, kw, in,
// filters] (an int8 model's dequantized into a copy, for the picture), and
// their count; null for other layers, or int8 layers too large to picture.
EMSCRIPTEN_KEEPALIVE const float* fx_layer_weights(int layer) {
  if (!g_is_int8) return g_model.layer_parameters(layer).weights;
  if (layer < 0 || layer >= g_int8.spec().layer_count) return nullptr;
  const Int8LayerParameters& p = g_int8.parameters().layers[layer];
  const LayerPlan& lp = g_int8.plan().layers[layer];
  const std::size_t units = lp.bias_count, per_unit = units > 0 ? lp.weight_count / units : 0;
  if (p.weights == nullptr || lp.weight_count > kPictureFloats) return nullptr;
  for (std::size_t u = 0; u < units; ++u)  // stored [units, K], pictured [K, units]
    for (std::size_t k = 0; k < per_unit; ++k)
      g_picture[k * units + u] = p.weight_scale[u] * float(p.weights[u * per_unit + k]);
  return g_picture;
}
EMSCRIPTEN_KEEPALIVE std::uint32_t fx_layer_weight_count(int layer) {
  if (!g_is_int8) return std::uint32_t(g_model.layer_parameters(layer).weight_count);
  return layer >= 0 && layer < g_int8.spec().layer_count ? std::uint32_t(g_int8.plan().layers[layer].weight_count) : 0;
}

}  // extern "C"
