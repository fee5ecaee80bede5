// fixnet host and firmware: one line per classified example, the format of
// `fixnet-mnist eval --predictions FILE` and of the firmware's predictions
// file, so the two can be compared byte for byte:
//   INDEX LABEL PREDICTED LOGIT...
// int8 logits as integers, float logits with 9 significant digits.
#pragma once

#include <cstdint>
#include <cstdio>

namespace fixnet_host {

inline void print_logit(std::FILE* out, std::int8_t v) { std::fprintf(out, " %d", int(v)); }
inline void print_logit(std::FILE* out, float v) { std::fprintf(out, " %.9g", double(v)); }

template <class Logit>
void print_prediction(std::FILE* out, int index, int label, int predicted, const Logit* logits, int classes) {
  std::fprintf(out, "%d %d %d", index, label, predicted);
  for (int c = 0; c < classes; ++c) print_logit(out, logits[c]);
  std::fputc('\n', out);
}

}  // namespace fixnet_host
