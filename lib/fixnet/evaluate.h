// fixnet: accuracy of a model over a labelled image set.
#pragma once

#include <cstdint>

#include "fixnet/idx.h"
#include "fixnet/int8_model.h"
#include "fixnet/model.h"
#include "fixnet/status.h"

namespace fixnet {

// Classifies examples [first, first + count) of `data` in batches of
// model->batch() (through the model's input buffer, no dropout). Sets
// *correct to how many match their labels and, when `predictions` is not
// null, predictions[i] to the class chosen for example first + i.
Status evaluate(Model* model, const Dataset& data, int first, int count, std::uint8_t* predictions, int* correct);

// The same for an int8 model (images quantized by quantize_bytes).
Status evaluate(Int8Model* model, const Dataset& data, int first, int count, std::uint8_t* predictions, int* correct);

}  // namespace fixnet
