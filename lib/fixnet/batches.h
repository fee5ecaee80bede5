// fixnet: minibatches in the order of TensorFlow's MNIST DataSet.next_batch:
// the examples are shuffled before the first batch and at each epoch's end; a
// batch that crosses the end takes the epoch's rest and then the start of the
// newly shuffled order.
#pragma once

#include <cstdint>

#include "fixnet/idx.h"
#include "fixnet/random.h"
#include "fixnet/status.h"

namespace fixnet {

class BatchIterator {
 public:
  // Iterates over `data` using `order` (caller memory for data.count indices)
  // and `rng` for shuffling (kept by pointer; it must outlive the iterator).
  Status init(const Dataset& data, std::int32_t* order, std::size_t order_capacity, Rng* rng);

  // Writes the next `batch` examples: images as floats in [0, 1] [batch, rows*cols]
  // and their labels [batch]. batch must be 1..data.count.
  Status next(int batch, float* images, std::uint8_t* labels);

  // Full passes completed over the data.
  int epochs_completed() const { return epochs_; }

  // Where the iteration stands (with the order, to save it and carry on
  // later): the next example's place in the order, and whether the first
  // shuffle happened. restore() takes them back after the caller rewrote
  // the order; every index must be an example of the data.
  int position() const { return position_; }
  bool started() const { return started_; }
  int example_count() const { return data_.count; }
  const std::int32_t* order() const { return order_; }
  std::int32_t* mutable_order() { return order_; }
  Status restore(int position, int epochs, bool started);

 private:
  void shuffle();

  Dataset data_{};
  std::int32_t* order_ = nullptr;
  Rng* rng_ = nullptr;
  int position_ = 0;
  int epochs_ = 0;
  bool started_ = false;
};

}  // namespace fixnet
