// fixnet: how lib/ runs work on several threads without owning any. The caller
// (the CLI's thread pool, a firmware's RTOS tasks, or nothing) provides `run`;
// lib/ splits each kernel into tasks and never creates threads itself.
#pragma once

namespace fixnet {

// The most workers a plan reserves scratch for (and a kernel splits sums among).
constexpr int kMaxWorkers = 64;

// One task: do part `index` of `count`, on worker number `worker` (< workers).
using ParallelTask = void (*)(void* context, int index, int count, int worker);

// Runs `count` tasks, possibly concurrently, and returns when all are done.
// Each worker runs one task at a time; two tasks running at once never share a
// worker number, so per-worker scratch needs no locking. Any worker may run
// any task, but kernels split their data alike (task i of `count` takes the
// i-th contiguous share of the examples, where it can), so a `run` that gives
// worker w the w-th contiguous share of the indices first keeps each core on
// the data it wrote before (the host's pool does).
struct Parallel {
  int workers = 1;
  void (*run)(void* self, int count, ParallelTask task, void* context) = nullptr;
  void* self = nullptr;

  // How many workers run tasks at once: 1 when run is null.
  int active_workers() const { return run != nullptr && workers > 1 ? workers : 1; }

  // Calls task(context, i, count, w) for i in [0, count); serially when run is null.
  void for_each(int count, ParallelTask task, void* context) const {
    if (active_workers() == 1 || count <= 1) {
      for (int i = 0; i < count; ++i) task(context, i, count, 0);
    } else {
      run(self, count, task, context);
    }
  }
};

}  // namespace fixnet
