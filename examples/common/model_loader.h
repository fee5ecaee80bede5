// fixnet host support: a model file on disk turned into a ready inference model.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "arena.h"
#include "fixnet/model.h"
#include "thread_pool.h"

namespace fixnet_host {

struct LoadedModel {
  std::unique_ptr<std::byte, FreeDeleter> arena;
  std::unique_ptr<ThreadPool> pool;
  fixnet::Model model;
};

// Reads the model file at `path` (any architecture it records) and builds an
// inference model for batches of up to `batch`, running on `workers` threads
// of its own pool, holding its parameters.
bool load_model(const std::string& path, int batch, int workers, LoadedModel& out, std::string& error);

}  // namespace fixnet_host
