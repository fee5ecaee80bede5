// fixnet host support: a heap block for a model arena, aligned as lib/ requires.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>

#include "fixnet/plan.h"

namespace fixnet_host {

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// `bytes` (rounded up to the alignment) aligned to fixnet::kArenaAlignment; null if out of memory.
inline std::unique_ptr<std::byte, FreeDeleter> allocate_arena(std::size_t bytes) {
  const std::size_t a = fixnet::kArenaAlignment;
  return std::unique_ptr<std::byte, FreeDeleter>(static_cast<std::byte*>(std::aligned_alloc(a, (bytes + a - 1) / a * a)));
}

}  // namespace fixnet_host
