// fixnet on a microcontroller: the instruction counter and the memory report.
// SysTick counts down from 2^24 - 1 at the processor clock (each wrap
// interrupts and is counted); under QEMU's -icount shift=0 one instruction
// takes one nanosecond of virtual time, so a tick is kNanosecondsPerTick
// instructions (measured on each board against a loop of known length).
#include "board.h"

extern "C" {
extern std::uint32_t __data_start[], __bss_end__[], __flash_end[], __flash_size[], __ram_size[], __stack_bytes[];
void SysTick_Handler();
}

namespace mcu {

namespace {

volatile std::uint32_t& systick(std::uint32_t offset) {
  return *reinterpret_cast<volatile std::uint32_t*>(0xE000E010u + offset);
}
constexpr std::uint32_t kControl = 0x0, kReload = 0x4, kCurrent = 0x8;
constexpr std::uint32_t kPeriod = 1u << 24;
// The System Control Block's ICSR: PENDSTSET, a SysTick interrupt pending.
volatile std::uint32_t& interrupt_control() { return *reinterpret_cast<volatile std::uint32_t*>(0xE000ED04u); }
constexpr std::uint32_t kSysTickPending = 1u << 26;

volatile std::uint32_t g_wraps = 0;
bool g_started = false;

}  // namespace

std::uint64_t instructions() {
  if (!g_started) {
    g_started = true;
    systick(kControl) = 0;
    systick(kReload) = kPeriod - 1;
    systick(kCurrent) = 0;
    systick(kControl) = 7;  // enable, interrupt on wrap, processor clock
    while (systick(kCurrent) == 0) {
    }  // until the first reload: counting starts from the top
  }
  std::uint32_t wraps, current;
  bool pending;
  do {
    wraps = g_wraps;
    current = systick(kCurrent);
    pending = (interrupt_control() & kSysTickPending) != 0;
  } while (wraps != g_wraps);
  // A wrap whose interrupt is not yet taken is not in g_wraps: a count read
  // after it (from the top) belongs to the next period.
  if (pending && current >= kPeriod / 2) ++wraps;
  const std::uint64_t ticks = std::uint64_t(wraps) * kPeriod + (kPeriod - 1 - current);
  return ticks * FIXNET_MCU_NS_PER_TICK;
}

const char* board_name() { return FIXNET_MCU_BOARD; }
std::uint32_t flash_bytes() { return std::uint32_t(reinterpret_cast<std::uintptr_t>(__flash_size)); }
std::uint32_t ram_bytes() { return std::uint32_t(reinterpret_cast<std::uintptr_t>(__ram_size)); }
std::uint32_t flash_used() { return std::uint32_t(reinterpret_cast<std::uintptr_t>(__flash_end)); }
std::uint32_t stack_bytes() { return std::uint32_t(reinterpret_cast<std::uintptr_t>(__stack_bytes)); }
std::uint32_t ram_used() {
  return std::uint32_t(reinterpret_cast<std::uintptr_t>(__bss_end__) - reinterpret_cast<std::uintptr_t>(__data_start)) +
         stack_bytes();
}

}  // namespace mcu

extern "C" void SysTick_Handler() { mcu::g_wraps = mcu::g_wraps + 1; }
