// fixnet host support: a fixed pool of threads, created once, that runs
// fixnet's parallel kernels (fixnet::Parallel). The calling thread is worker
// 0 and takes tasks too; nothing is allocated per call. Worker w first runs
// the w-th contiguous share of each job's tasks, so consecutive kernels that
// split their data alike keep it in one core's caches; then it takes tasks
// left in the others' shares, so no worker idles while one is behind.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "fixnet/parallel.h"

namespace fixnet_host {

class ThreadPool {
 public:
  // Starts threads - 1 workers (threads >= 1; at most fixnet::kMaxWorkers are used).
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // The fixnet::Parallel that runs tasks on this pool.
  fixnet::Parallel parallel();
  int threads() const { return int(workers_.size()) + 1; }

  // The number of hardware threads (at least 1).
  static int hardware_threads();

 private:
  static void run(void* self, int count, fixnet::ParallelTask task, void* context);
  void work(int worker);
  // Runs worker's share of the current job, then what is left of the others'.
  void drain(int worker);

  std::vector<std::thread> workers_;
  // The current job. run() writes it, then bumps generation_; it stays
  // unchanged until every worker has checked in, so workers read it freely.
  fixnet::ParallelTask task_ = nullptr;
  void* context_ = nullptr;
  int count_ = 0;
  // Worker w's share of the current job: tasks [next, end), taken from the
  // front by it and, once theirs are done, by the others. Each counter on its
  // own cache line: waiters spinning on one must not slow the threads
  // updating another.
  struct alignas(64) Share {
    std::atomic<int> next{0};
    int end = 0;
  };
  Share shares_[fixnet::kMaxWorkers];
  alignas(64) std::atomic<int> checked_in_{0};
  alignas(64) std::atomic<unsigned> generation_{0};
  std::atomic<bool> stopping_{false};
  // Sleeping workers wait here; run() notifies only when someone sleeps.
  std::mutex mutex_;
  std::condition_variable wake_;
  int sleepers_ = 0;
};

}  // namespace fixnet_host
