// fixnet: batched evaluation over a dataset.
#include "fixnet/evaluate.h"

#include "fixnet/loss.h"

namespace fixnet {

Status evaluate(Model* model, const Dataset& data, int first, int count, std::uint8_t* predictions, int* correct) {
  if (model == nullptr || correct == nullptr) return fail(Error::invalid_argument, "evaluate: null model or result");
  if (data.image_size() != model->input_size())
    return fail(Error::invalid_argument, "evaluate: image size differs from the model's input");
  if (first < 0 || count < 0 || first > data.count || count > data.count - first)
    return fail(Error::invalid_argument, "evaluate: range outside the dataset");
  int right = 0;
  float* input = model->input_buffer();
  const int classes = model->classes();
  for (int start = 0; start < count; start += model->batch()) {
    const int n = count - start < model->batch() ? count - start : model->batch();
    for (int i = 0; i < n; ++i) image_to_floats(data, first + start + i, input + std::ptrdiff_t(i) * data.image_size());
    const float* logits = nullptr;
    const Status s = model->forward(input, n, false, nullptr, &logits);
    if (!s.ok()) return s;
    for (int i = 0; i < n; ++i) {
      const int predicted = argmax(logits + i * classes, classes);
      right += predicted == data.labels[first + start + i];
      if (predictions != nullptr) predictions[start + i] = std::uint8_t(predicted);
    }
  }
  *correct = right;
  return ok_status();
}

}  // namespace fixnet
