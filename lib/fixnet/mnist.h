// fixnet: the two models of TensorFlow's "Deep MNIST for Experts" tutorial and
// their training recipes.
#pragma once

#include <cstdint>

#include "fixnet/optimizer.h"
#include "fixnet/spec.h"

namespace fixnet {
namespace mnist {

constexpr int kSide = 28;
constexpr int kClasses = 10;
constexpr Dims kInput{kSide, kSide, 1};

// Softmax regression: y = softmax(x W + b), W and b zero.
constexpr ModelSpec softmax_spec() { return ModelSpec{kInput, {flatten(), dense(kClasses)}}; }

// The tutorial's convolutional network; weights truncated normal 0.1, biases 0.1.
constexpr ModelSpec cnn_spec() {
  constexpr Init w = truncated_normal_init(0.1f);
  constexpr Init b = constant_init(0.1f);
  return ModelSpec{kInput,
                   {conv2d(32, 5, 5, 1, Padding::same, w, b), relu(), max_pool(2, 2, Padding::same),
                    conv2d(64, 5, 5, 1, Padding::same, w, b), relu(), max_pool(2, 2, Padding::same), flatten(),
                    dense(1024, w, b), relu(), dropout(0.5f), dense(kClasses, w, b)}};
}

// A model with the batch size, step count and optimizer the tutorial trains it with.
struct Recipe {
  const char* name;
  ModelSpec spec;
  int batch;
  int steps;
  OptimizerSettings optimizer;
};

constexpr OptimizerSettings optimizer(OptimizerKind kind, float learning_rate) {
  OptimizerSettings s;
  s.kind = kind;
  s.learning_rate = learning_rate;
  return s;
}

// Gradient descent 0.5, batch 100, 1000 steps (about 92% test accuracy).
constexpr Recipe softmax_recipe() {
  return Recipe{"softmax", softmax_spec(), 100, 1000, optimizer(OptimizerKind::gradient_descent, 0.5f)};
}

// Adam 1e-4, batch 50, 20000 steps (about 99.2% test accuracy).
constexpr Recipe cnn_recipe() {
  return Recipe{"cnn", cnn_spec(), 50, 20000, optimizer(OptimizerKind::adam, 1e-4f)};
}

}  // namespace mnist
}  // namespace fixnet
