// fixnet web: every byte of the page's WebAssembly memory that is not code,
// stack or runtime: the largest model plan the page offers and full MNIST.
// Constexpr, so the build can size the module's fixed memory from it.
#pragma once

#include <cstddef>

#include "fixnet/mnist.h"
#include "fixnet/model_file.h"
#include "fixnet/plan.h"

namespace fixnet_web {

// What the page lets a user choose.
constexpr int kMaxSoftmaxBatch = 1000;
constexpr int kMaxCnnBatch = 100;
constexpr int kEvaluationBatch = 100;  // batch of a model loaded from a file
// Threads the module may use: the threaded build plans scratch for up to 8.
constexpr int kMaxThreadedWorkers = 8;
#if defined(__EMSCRIPTEN_PTHREADS__)
constexpr int kWorkers = kMaxThreadedWorkers;
#else
constexpr int kWorkers = 1;
#endif

constexpr std::size_t max_size(std::size_t a, std::size_t b) { return a > b ? a : b; }

// The arena for `workers` threads: the largest of every plan the page can build.
constexpr std::size_t arena_bytes(int workers) {
  return max_size(
      max_size(fixnet::plan(fixnet::mnist::cnn_spec(), {kMaxCnnBatch, fixnet::OptimizerKind::adam, workers}).bytes,
               fixnet::plan(fixnet::mnist::softmax_spec(),
                            {kMaxSoftmaxBatch, fixnet::OptimizerKind::gradient_descent, workers})
                   .bytes),
      max_size(fixnet::plan(fixnet::mnist::cnn_spec(), {kEvaluationBatch, fixnet::OptimizerKind::none, workers}).bytes,
               fixnet::plan(fixnet::mnist::cnn_spec(), {kEvaluationBatch, fixnet::OptimizerKind::none, workers, false,
                                                        fixnet::Precision::int8})
                   .bytes));
}
constexpr std::size_t kArenaBytes = arena_bytes(kWorkers);

// MNIST as IDX files: header plus payload.
constexpr std::size_t kTrainCount = 60000, kTestCount = 10000, kPixels = 28 * 28;
constexpr std::size_t kTrainImagesBytes = 16 + kTrainCount * kPixels;
constexpr std::size_t kTrainLabelsBytes = 8 + kTrainCount;
constexpr std::size_t kTestImagesBytes = 16 + kTestCount * kPixels;
constexpr std::size_t kTestLabelsBytes = 8 + kTestCount;

// A model file of the CNN, the largest model the page offers.
constexpr std::size_t kModelFileBytes = fixnet::model_file_size(fixnet::mnist::cnn_spec());

// The most weights the page pictures (the softmax's dense layer).
constexpr std::size_t kPictureFloats = 784 * 10;

// The visitor's own examples the page fine-tunes on (28x28 bytes each), and
// the batch and examples per batch of fine-tuning (the rest are MNIST's).
constexpr int kMaxExamples = 1000;
constexpr int kTuneBatch = 50;
constexpr int kTuneExamplesPerBatch = 10;
// (An upper bound: fine-tuning freezes the convolutions and uses gradient descent.)
static_assert(fixnet::plan(fixnet::mnist::cnn_spec(), {kTuneBatch, fixnet::OptimizerKind::adam, kMaxThreadedWorkers})
                  .bytes <= arena_bytes(kMaxThreadedWorkers),
              "fine-tuning a CNN fits the arena");

// What the inside view shows of one drawing: the outputs of the
// convolutions and dense layers, as floats, and a table of them.
constexpr std::size_t kInsideFloats = 1 << 16;
constexpr int kInsideFields = 6;  // per view: layer, its kind, height, width, channels, float offset

// A drawing or image to classify, RGBA.
constexpr int kMaxImageSide = 1024;
constexpr std::size_t kImageBytes = std::size_t(kMaxImageSide) * kMaxImageSide * 4;

// All static storage of a build for `workers` threads.
constexpr std::size_t static_bytes(int workers) {
  return arena_bytes(workers) + kTrainImagesBytes + kTrainLabelsBytes + kTestImagesBytes + kTestLabelsBytes +
         kTrainCount * sizeof(int) + kTestCount + kModelFileBytes + kImageBytes + (kPixels + kPictureFloats) * sizeof(float) +
         kMaxExamples * (kPixels + 1) + kInsideFloats * sizeof(float) + fixnet::kMaxLayers * kInsideFields * sizeof(int);
}
constexpr std::size_t kStaticBytes = static_bytes(kWorkers);

}  // namespace fixnet_web
