// fixnet: batched evaluation over a dataset.
#include "fixnet/evaluate.h"

#include "fixnet/loss.h"

namespace fixnet {

namespace {

// The loop of both evaluate()s: run(first example, n) classifies n examples
// and returns their logits [n, classes] (null on failure, with *status set).
template <class Run>
Status evaluate_batches(const Dataset& data, int input_size, int batch, int classes, int first, int count,
                        std::uint8_t* predictions, int* correct, Run run) {
  if (correct == nullptr) return fail(Error::invalid_argument, "evaluate: null model or result");
  if (classes < 2) return fail(Error::invalid_argument, "evaluate: a classifier needs at least 2 outputs");
  if (data.image_size() != input_size)
    return fail(Error::invalid_argument, "evaluate: image size differs from the model's input");
  if (first < 0 || count < 0 || first > data.count || count > data.count - first)
    return fail(Error::invalid_argument, "evaluate: range outside the dataset");
  int right = 0;
  for (int start = 0; start < count; start += batch) {
    const int n = count - start < batch ? count - start : batch;
    Status s;
    const auto* logits = run(first + start, n, &s);
    if (logits == nullptr) return s;
    for (int i = 0; i < n; ++i) {
      const int predicted = argmax(logits + i * classes, classes);
      right += predicted == data.labels[first + start + i];
      if (predictions != nullptr) predictions[start + i] = std::uint8_t(predicted);
    }
  }
  *correct = right;
  return ok_status();
}

}  // namespace

Status evaluate(Model* model, const Dataset& data, int first, int count, std::uint8_t* predictions, int* correct) {
  if (model == nullptr) return fail(Error::invalid_argument, "evaluate: null model or result");
  return evaluate_batches(data, model->input_size(), model->batch(), model->classes(), first, count, predictions,
                          correct, [&](int at, int n, Status* s) {
                            float* input = model->input_buffer();
                            for (int i = 0; i < n; ++i) image_to_floats(data, at + i, input + std::ptrdiff_t(i) * data.image_size());
                            const float* logits = nullptr;
                            *s = model->forward(input, n, false, nullptr, &logits);
                            return s->ok() ? logits : nullptr;
                          });
}

Status evaluate(Int8Model* model, const Dataset& data, int first, int count, std::uint8_t* predictions, int* correct) {
  if (model == nullptr) return fail(Error::invalid_argument, "evaluate: null model or result");
  return evaluate_batches(data, model->input_size(), model->batch(), model->classes(), first, count, predictions,
                          correct, [&](int at, int n, Status* s) {
                            const std::int8_t* logits = nullptr;
                            *s = model->quantize_bytes(data.images + std::size_t(at) * std::size_t(data.image_size()), n);
                            if (s->ok()) *s = model->forward(model->input_buffer(), n, &logits);
                            return s->ok() ? logits : nullptr;
                          });
}

}  // namespace fixnet
