#!/bin/sh
# fixnet tests: lib/ compiles for a bare-metal Cortex-M4 (no OS, no heap, no
# exceptions, no RTTI) with warnings as errors, and a firmware that plans the
# softmax model at compile time into a static arena links without malloc.
# Usage: check_bare_metal.sh SOURCE_ROOT
set -eu
root="$1"
cxx=arm-none-eabi-g++
skip=77
[ "${CI:-}" = true ] && skip=1  # CI may not skip
command -v $cxx >/dev/null || { echo "SKIPPED (exit $skip): $cxx not installed (apt-get install gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib)"; exit $skip; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
flags="-std=c++17 -Os -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 -fno-exceptions -fno-rtti
       -ffunction-sections -fdata-sections -Wall -Wextra -Wpedantic -Werror -I$root/lib"
for source in "$root"/lib/fixnet/*.cpp; do
  $cxx $flags -c "$source" -o "$out/$(basename "$source" .cpp).o"
done
cat > "$out/firmware.cpp" <<'CPP'
#include "fixnet/mnist.h"
#include "fixnet/model.h"
constexpr fixnet::Plan kPlan = fixnet::plan(fixnet::mnist::softmax_spec(), fixnet::PlanOptions{1});
alignas(fixnet::kArenaAlignment) static std::byte arena[kPlan.bytes];
static float probabilities[10];
int main() {
  static fixnet::Model model;
  if (!model.init(fixnet::mnist::softmax_spec(), fixnet::PlanOptions{1}, arena, sizeof arena).ok()) return 1;
  return model.predict(model.input_buffer(), 1, probabilities).ok() ? 0 : 2;
}
CPP
$cxx $flags -c "$out/firmware.cpp" -o "$out/firmware.o"
$cxx -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16 --specs=nosys.specs -Wl,--gc-sections \
  "$out"/*.o -o "$out/firmware.elf"
arm-none-eabi-size "$out/firmware.elf"
if arm-none-eabi-nm "$out/firmware.elf" | grep -qE ' (malloc|_malloc_r|_Znwj|__cxa_throw)$'; then
  echo "FAILED: the firmware links an allocator or exceptions"
  exit 1
fi
echo "lib/ builds for Cortex-M4; the softmax firmware links with a static arena and no heap"
