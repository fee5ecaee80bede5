// fixnet host support: the fork-join thread pool behind --threads.
#include "thread_pool.h"

#include <chrono>
#include <cstdint>

namespace fixnet_host {

namespace {
// Spin this long waiting for work before sleeping: a training step runs
// hundreds of short parallel kernels back to back, and one digit's inference a
// few with little between them; waking a sleeping thread costs tens of
// microseconds (more in WebAssembly). Every kSpinCheck spins the thread reads
// the clock and yields (in case there are more threads than cores).
constexpr std::chrono::microseconds kSpinTime{500};
constexpr int kSpinCheck = 256;

inline void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}
}  // namespace

int ThreadPool::hardware_threads() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : int(n);
}

ThreadPool::ThreadPool(int threads) {
  if (threads > fixnet::kMaxWorkers) threads = fixnet::kMaxWorkers;
  for (int w = 1; w < threads; ++w) workers_.emplace_back([this, w] { work(w); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_.store(true, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  for (std::thread& t : workers_) t.join();
}

fixnet::Parallel ThreadPool::parallel() {
  fixnet::Parallel p;
  p.workers = threads();
  p.run = &ThreadPool::run;
  p.self = this;
  return p;
}

void ThreadPool::drain(int worker) {
  const int n = threads();
  for (int k = 0; k < n; ++k) {
    Share& share = shares_[(worker + k) % n];
    for (int i = share.next.fetch_add(1, std::memory_order_relaxed); i < share.end;
         i = share.next.fetch_add(1, std::memory_order_relaxed))
      task_(context_, i, count_, worker);
  }
}

void ThreadPool::run(void* self, int count, fixnet::ParallelTask task, void* context) {
  auto* pool = static_cast<ThreadPool*>(self);
  pool->task_ = task;
  pool->context_ = context;
  pool->count_ = count;
  // Share w starts at task ceil(w * count / n): with no more tasks than
  // threads, task w is worker w's.
  const int n = pool->threads();
  auto edge = [&](int w) { return int((std::int64_t(w) * count + n - 1) / n); };
  for (int w = 0; w < n; ++w) {
    pool->shares_[w].next.store(edge(w), std::memory_order_relaxed);
    pool->shares_[w].end = edge(w + 1);
  }
  pool->checked_in_.store(0, std::memory_order_relaxed);
  bool sleepers;
  {
    std::lock_guard<std::mutex> lock(pool->mutex_);  // no wake-up lost between check and wait
    pool->generation_.fetch_add(1, std::memory_order_release);
    sleepers = pool->sleepers_ > 0;
  }
  if (sleepers) pool->wake_.notify_all();
  pool->drain(0);
  // Every worker checks in after its last task: then all tasks are done and
  // no worker still reads this job.
  const int others = int(pool->workers_.size());
  while (pool->checked_in_.load(std::memory_order_acquire) < others) relax();
}

void ThreadPool::work(int worker) {
  unsigned seen = 0;
  for (;;) {
    unsigned now = generation_.load(std::memory_order_acquire);
    std::chrono::steady_clock::time_point give_up;  // read at the first check: a job already waiting costs no clock
    for (int spin = 1; now == seen; ++spin) {
      relax();
      now = generation_.load(std::memory_order_acquire);
      if (spin % kSpinCheck != 0) continue;
      const auto time = std::chrono::steady_clock::now();
      if (spin == kSpinCheck) {
        give_up = time + kSpinTime;
      } else if (time > give_up) {
        break;
      }
      std::this_thread::yield();
    }
    if (now == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      ++sleepers_;
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      --sleepers_;
      now = generation_.load(std::memory_order_acquire);
    }
    seen = now;
    if (stopping_.load(std::memory_order_acquire)) return;
    drain(worker);
    checked_in_.fetch_add(1, std::memory_order_release);
  }
}

}  // namespace fixnet_host
