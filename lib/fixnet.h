// fixnet: everything in one include.
#pragma once

#include "fixnet/batches.h"
#include "fixnet/evaluate.h"
#include "fixnet/idx.h"
#include "fixnet/kernels.h"
#include "fixnet/loss.h"
#include "fixnet/mnist.h"
#include "fixnet/model.h"
#include "fixnet/model_file.h"
#include "fixnet/optimizer.h"
#include "fixnet/parallel.h"
#include "fixnet/plan.h"
#include "fixnet/preprocess.h"
#include "fixnet/random.h"
#include "fixnet/spec.h"
#include "fixnet/status.h"
