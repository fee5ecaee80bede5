// fixnet: shuffled minibatch iteration.
#include "fixnet/batches.h"

namespace fixnet {

Status BatchIterator::init(const Dataset& data, std::int32_t* order, std::size_t order_capacity, Rng* rng) {
  if (data.count < 1 || data.images == nullptr || data.labels == nullptr)
    return fail(Error::invalid_argument, "batches: empty dataset");
  if (order == nullptr || order_capacity < std::size_t(data.count))
    return fail(Error::arena_too_small, "batches: the order buffer must hold one index per example");
  if (rng == nullptr) return fail(Error::invalid_argument, "batches: a random generator is required");
  data_ = data;
  order_ = order;
  rng_ = rng;
  for (int i = 0; i < data.count; ++i) order_[i] = i;
  position_ = 0;
  epochs_ = 0;
  started_ = false;
  return ok_status();
}

Status BatchIterator::restore(int position, int epochs, bool started) {
  if (order_ == nullptr) return fail(Error::invalid_argument, "batches: not initialised");
  if (position < 0 || position > data_.count || epochs < 0)
    return fail(Error::corrupt, "batches: position or epoch count out of range");
  for (int i = 0; i < data_.count; ++i)
    if (order_[i] < 0 || order_[i] >= data_.count) return fail(Error::corrupt, "batches: an index of the order is not an example");
  position_ = position;
  epochs_ = epochs;
  started_ = started;
  return ok_status();
}

void BatchIterator::shuffle() {  // Fisher-Yates
  for (int i = data_.count - 1; i > 0; --i) {
    const int j = int(rng_->below(std::uint32_t(i) + 1));
    const std::int32_t t = order_[i];
    order_[i] = order_[j];
    order_[j] = t;
  }
}

Status BatchIterator::next(int batch, float* images, std::uint8_t* labels) {
  if (order_ == nullptr) return fail(Error::invalid_argument, "batches: not initialised");
  if (batch < 1 || batch > data_.count) return fail(Error::invalid_argument, "batches: batch must be 1..example count");
  if (!started_) {
    shuffle();
    started_ = true;
  }
  const int size = data_.image_size();
  for (int i = 0; i < batch; ++i) {
    if (position_ == data_.count) {  // epoch boundary
      ++epochs_;
      shuffle();
      position_ = 0;
    }
    const int example = order_[position_++];
    image_to_floats(data_, example, images + std::ptrdiff_t(i) * size);
    labels[i] = data_.labels[example];
  }
  return ok_status();
}

}  // namespace fixnet
