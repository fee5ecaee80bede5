// fixnet: losses, softmax probabilities, accuracy.
#include "fixnet/loss.h"

#include <cmath>
#include <cstddef>

namespace fixnet {

float softmax_cross_entropy(const float* logits, const std::uint8_t* labels, int n, int classes,
                            float* gradient) {
  double total = 0.0;
  for (int i = 0; i < n; ++i) {
    const float* row = logits + i * classes;
    const float top = row[argmax(row, classes)];
    double sum = 0.0;
    for (int j = 0; j < classes; ++j) sum += std::exp(double(row[j]) - top);
    const double log_sum = std::log(sum);
    total += log_sum - (double(row[labels[i]]) - top);
    if (gradient != nullptr) {
      float* g = gradient + i * classes;
      for (int j = 0; j < classes; ++j) {
        const double p = std::exp(double(row[j]) - top - log_sum);
        g[j] = float((p - (j == labels[i] ? 1.0 : 0.0)) / n);
      }
    }
  }
  return n > 0 ? float(total / n) : 0.0f;
}

float mean_squared_error(const float* outputs, const float* targets, int n, int size, float* gradient) {
  const std::size_t count = std::size_t(n) * std::size_t(size);
  double total = 0.0;
  for (std::size_t i = 0; i < count; ++i) {
    const double error = double(outputs[i]) - double(targets[i]);
    total += error * error;
    if (gradient != nullptr) gradient[i] = float(2.0 * error / double(count));
  }
  return count > 0 ? float(total / double(count)) : 0.0f;
}

void softmax(const float* logits, int n, int classes, float* probabilities) {
  for (int i = 0; i < n; ++i) {
    const float* row = logits + i * classes;
    float* out = probabilities + i * classes;
    const float top = row[argmax(row, classes)];
    double sum = 0.0;
    for (int j = 0; j < classes; ++j) sum += std::exp(double(row[j]) - top);
    for (int j = 0; j < classes; ++j) out[j] = float(std::exp(double(row[j]) - top) / sum);
  }
}

namespace {
template <class T>
int first_largest(const T* values, int count) {
  int best = 0;
  for (int i = 1; i < count; ++i)
    if (values[i] > values[best]) best = i;
  return best;
}
}  // namespace

int argmax(const float* values, int count) { return first_largest(values, count); }
int argmax(const std::int8_t* values, int count) { return first_largest(values, count); }

int count_correct(const float* logits, const std::uint8_t* labels, int n, int classes) {
  int correct = 0;
  for (int i = 0; i < n; ++i) correct += argmax(logits + i * classes, classes) == labels[i];
  return correct;
}

}  // namespace fixnet
