// fixnet host support: a model file on disk turned into a ready inference
// model, float or int8, whichever the file holds.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "arena.h"
#include "fixnet/idx.h"
#include "fixnet/int8_model.h"
#include "fixnet/model.h"
#include "thread_pool.h"

namespace fixnet_host {

struct LoadedModel {
  std::unique_ptr<std::byte, FreeDeleter> arena;
  std::unique_ptr<ThreadPool> pool;
  fixnet::Precision precision = fixnet::Precision::float32;
  fixnet::Model model;     // a version 1 (float) file
  fixnet::Int8Model int8;  // a version 2 (int8) file
  std::vector<float> input;  // [batch, input size]: what predict() reads

  const fixnet::ModelSpec& spec() const { return precision == fixnet::Precision::int8 ? int8.spec() : model.spec(); }
  int classes() const { return precision == fixnet::Precision::int8 ? int8.classes() : model.classes(); }
  // Softmax probabilities [n, classes] of the first n inputs in `input`.
  fixnet::Status predict(int n, float* probabilities);
  // Test accuracy's numerator: examples of `data` classified right.
  fixnet::Status evaluate(const fixnet::Dataset& data, int* correct);
};

// The most memory (arena bytes) a loaded model may ask for.
constexpr std::size_t kMaxModelBytes = std::size_t(1) << 30;

// Reads the model file at `path` (any architecture it records) and builds an
// inference model for batches of up to `batch`, running on `workers` threads
// of its own pool, holding its parameters. A model that needs more than
// kMaxModelBytes is refused before anything is allocated.
bool load_model(const std::string& path, int batch, int workers, LoadedModel& out, std::string& error);

}  // namespace fixnet_host
