// fixnet: losses (softmax cross-entropy, mean squared error), softmax
// probabilities, accuracy.
#pragma once

#include <cstdint>

namespace fixnet {

// Mean over the n rows of -log softmax(logits[i])[labels[i]], computed stably
// (log-sum-exp after subtracting the row maximum). When gradient is not null it
// receives d(mean loss)/d(logits) = (softmax - one_hot(label)) / n, [n, classes].
// Labels must be < classes.
float softmax_cross_entropy(const float* logits, const std::uint8_t* labels, int n, int classes,
                            float* gradient);

// Mean over the n rows and `size` columns of (outputs - targets)^2. When
// gradient is not null it receives d(loss)/d(outputs) = 2 (outputs - targets)
// / (n size), [n, size].
float mean_squared_error(const float* outputs, const float* targets, int n, int size, float* gradient);

// probabilities[i] = softmax(logits[i]) for n rows; may alias logits.
void softmax(const float* logits, int n, int classes, float* probabilities);

// Index of the largest value (the first one on ties).
int argmax(const float* values, int count);
int argmax(const std::int8_t* values, int count);

// How many of the n rows have their largest logit at the label.
int count_correct(const float* logits, const std::uint8_t* labels, int n, int classes);

}  // namespace fixnet
