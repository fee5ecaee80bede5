// fixnet-mnist: a one-line progress bar on a terminal (stderr), with images/s
// and time left from measured wall time. Silent when stderr is not a terminal.
#pragma once

#include <chrono>
#include <string>

namespace fixnet_cli {

class Progress {
 public:
  Progress(long long total_steps, int batch);
  // Redraws for `steps` done (at most ~10 times a second).
  void update(long long steps);
  // Erases the bar so a normal line can be printed; the next update redraws it.
  void clear();
  // Seconds since construction.
  double elapsed() const;

 private:
  using Clock = std::chrono::steady_clock;
  long long total_;
  int batch_;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_, last_draw_;
};

// "1h02m", "3m07s" or "12s".
std::string format_duration(double seconds);

}  // namespace fixnet_cli
