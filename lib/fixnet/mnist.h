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

// micro: a small CNN for microcontrollers (29k parameters; int8 about 29 KB
// of flash): conv 5x5x16 SAME + ReLU -> max-pool 2x2 -> conv 5x5x32 SAME +
// ReLU -> max-pool 2x2 -> dense 10. The tutorial CNN without its 3.2M-weight
// dense layer and with half its filters: 5x5 kernels keep the receptive
// field that carries it past 99%, and its int8 activations peak at 15.7 KB.
constexpr ModelSpec micro_spec() {
  constexpr Init w = truncated_normal_init(0.1f);
  constexpr Init b = constant_init(0.1f);
  return ModelSpec{kInput,
                   {conv2d(16, 5, 5, 1, Padding::same, w, b), relu(), max_pool(2, 2, Padding::same),
                    conv2d(32, 5, 5, 1, Padding::same, w, b), relu(), max_pool(2, 2, Padding::same), flatten(),
                    dense(kClasses, w, b)}};
}

// nano: the TinyMaix class (2,182 parameters, 2,752 B in int8, its int8
// activations within 1.5 KB, 40k multiply-adds a digit): conv 4x4x4 stride 2
// -> conv 3x3x8 stride 2 -> conv 3x3x16 (all VALID + ReLU) -> max-pool 2x2 ->
// dense 10 (13x13x4, 6x6x8, 4x4x16, 2x2x16). Strided convolutions shrink the
// image before channels grow. Each kernel tiles its input exactly, 28 = 12 *
// 2 + 4 and 13 = 5 * 2 + 3, so no padding is read, and a first layer's
// 4-pixel rows fill the quads of Arm's dual multiply-adds.
constexpr ModelSpec nano_spec() {
  constexpr Init w = truncated_normal_init(0.1f);
  constexpr Init b = constant_init(0.1f);
  return ModelSpec{kInput,
                   {conv2d(4, 4, 4, 2, Padding::valid, w, b), relu(), conv2d(8, 3, 3, 2, Padding::valid, w, b), relu(),
                    conv2d(16, 3, 3, 1, Padding::valid, w, b), relu(), max_pool(2, 2, Padding::same), flatten(),
                    dense(kClasses, w, b)}};
}

// A model with the batch size, step count and optimizer the tutorial trains it with.
struct Recipe {
  const char* name;
  ModelSpec spec;
  int batch;
  int steps;
  OptimizerKind optimizer_kind;  // for PlanOptions::optimizer
  OptimizerSettings optimizer;   // its hyper-parameters, for train_step
};

// Gradient descent 0.5, batch 100, 1000 steps (about 92% test accuracy).
constexpr Recipe softmax_recipe() {
  return Recipe{"softmax", softmax_spec(), 100, 1000, OptimizerKind::gradient_descent, OptimizerSettings{0.5f}};
}

// Adam 1e-4, batch 50, 20000 steps (about 99.2% test accuracy).
constexpr Recipe cnn_recipe() {
  return Recipe{"cnn", cnn_spec(), 50, 20000, OptimizerKind::adam, OptimizerSettings{1e-4f}};
}

// Adam 1e-3, batch 50, 30000 steps (25 epochs).
constexpr Recipe micro_recipe() {
  return Recipe{"micro", micro_spec(), 50, 30000, OptimizerKind::adam, OptimizerSettings{1e-3f}};
}

// Adam 3e-3, batch 50, 30000 steps (25 epochs).
constexpr Recipe nano_recipe() {
  return Recipe{"nano", nano_spec(), 50, 30000, OptimizerKind::adam, OptimizerSettings{3e-3f}};
}

}  // namespace mnist
}  // namespace fixnet
