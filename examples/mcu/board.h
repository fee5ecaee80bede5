// fixnet on a microcontroller: what a firmware needs from the board, for the
// two emulated ones (QEMU's mps2-an386, a Cortex-M4F, and lm3s6965evb, a
// Cortex-M3): the command line and files of the host through semihosting
// (as a sensor or radio would deliver data), and an instruction counter.
#pragma once

#include <cstdint>

namespace mcu {

// The part's RAM and the stack its linker script reserves (cross file
// properties), for static_asserts that a firmware's buffers fit.
constexpr std::uint32_t kRamBytes = FIXNET_MCU_RAM_BYTES;
constexpr std::uint32_t kStackBytes = 16 * 1024;

// Instructions executed since the counter started (SysTick under QEMU's
// -icount shift=0, where one instruction is one nanosecond of virtual time;
// 0 on hardware without that mapping). Starts at the first call.
std::uint64_t instructions();

// The board's name and the flash and RAM its linker script allows.
const char* board_name();
std::uint32_t flash_bytes();
std::uint32_t ram_bytes();
// Bytes of flash and RAM this firmware image takes (from the linker's
// symbols): code and constants; .data, .bss (static arenas included) and the
// stack the linker script reserves.
std::uint32_t flash_used();
std::uint32_t ram_used();
std::uint32_t stack_bytes();

}  // namespace mcu
