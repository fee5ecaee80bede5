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
