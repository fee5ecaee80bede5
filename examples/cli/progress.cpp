// fixnet-mnist: terminal progress bar.
#include "progress.h"

#include <cstdio>
#include <unistd.h>

namespace fixnet_cli {

Progress::Progress(long long total_steps, int batch)
    : total_(total_steps), batch_(batch), enabled_(::isatty(2) != 0), start_(Clock::now()), last_draw_(start_) {}

double Progress::elapsed() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

void Progress::update(long long steps) {
  if (!enabled_) return;
  const Clock::time_point now = Clock::now();
  if (drawn_ && steps < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double seconds = elapsed();
  const double rate = seconds > 0 ? steps * double(batch_) / seconds : 0.0;
  const double left = steps > 0 ? seconds * double(total_ - steps) / double(steps) : 0.0;
  constexpr int kWidth = 30;
  const int filled = int(kWidth * steps / (total_ > 0 ? total_ : 1));
  std::string bar(std::size_t(filled), '#');
  bar.resize(kWidth, '.');
  std::fprintf(stderr, "\r[%s] %lld/%lld steps  %.0f images/s  %s left   ", bar.c_str(), steps, total_, rate,
               steps > 0 ? format_duration(left).c_str() : "?");
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::clear() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(stderr, "\r%80s\r", "");
  std::fflush(stderr);
  drawn_ = false;
}

std::string format_duration(double seconds) {
  const long long s = (long long)(seconds + 0.5);
  char text[32];
  if (s >= 3600) {
    std::snprintf(text, sizeof text, "%lldh%02lldm", s / 3600, (s / 60) % 60);
  } else if (s >= 60) {
    std::snprintf(text, sizeof text, "%lldm%02llds", s / 60, s % 60);
  } else {
    std::snprintf(text, sizeof text, "%llds", s);
  }
  return text;
}

}  // namespace fixnet_cli
