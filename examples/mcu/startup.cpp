// fixnet on a microcontroller: reset handler, vector table and semihosting
// for the emulated boards. The reset handler copies .data from flash, zeroes
// .bss, enables the FPU where there is one, opens newlib's semihosted stdio,
// and calls main() with the host's command line (QEMU's semihosting args).
#include <cstdint>
#include <cstdlib>

extern "C" {
// From the linker script.
extern std::uint32_t __data_load[], __data_start[], __data_end[], __bss_start__[], __bss_end__[];
int main(int argc, char** argv);
void initialise_monitor_handles();
void __libc_init_array();
void _init() {}
void _fini() {}
void SysTick_Handler();
}

namespace {

// An Arm semihosting call: operation in r0, parameter block in r1.
int semihost(int operation, const void* block) {
  register int r0 __asm__("r0") = operation;
  register const void* r1 __asm__("r1") = block;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

constexpr int kWrite0 = 0x04, kGetCommandLine = 0x15, kExit = 0x18;
constexpr int kRunTimeError = 0x20023;  // ADP_Stopped_RunTimeErrorUnknown: QEMU exits with 1

char g_command_line[1024];
char* g_argv[64];

// Splits the host's command line at spaces into g_argv; returns argc.
int command_line() {
  struct {
    char* buffer;
    int size;
  } block{g_command_line, int(sizeof g_command_line) - 1};
  if (semihost(kGetCommandLine, &block) != 0) return 0;
  g_command_line[block.size] = '\0';
  int argc = 0;
  for (char* p = g_command_line; *p != '\0' && argc < 63;) {
    while (*p == ' ') *p++ = '\0';
    if (*p == '\0') break;
    g_argv[argc++] = p;
    while (*p != '\0' && *p != ' ') ++p;
  }
  g_argv[argc] = nullptr;
  return argc;
}

}  // namespace

extern "C" [[noreturn]] void reset_handler() {
  for (std::uint32_t *from = __data_load, *to = __data_start; to < __data_end;) *to++ = *from++;
  for (std::uint32_t* p = __bss_start__; p < __bss_end__;) *p++ = 0;
#if defined(__ARM_FP)
  *reinterpret_cast<volatile std::uint32_t*>(0xE000ED88) |= 0xFu << 20;  // CPACR: CP10 and CP11 full access
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  initialise_monitor_handles();
  __libc_init_array();
  const int argc = command_line();
  std::exit(main(argc, g_argv));
}

// Any fault ends the run with a message and a failing exit status.
extern "C" [[noreturn]] void fault_handler() {
  semihost(kWrite0, "fixnet firmware: fault (hard, memory, bus or usage)\n");
  for (;;) semihost(kExit, reinterpret_cast<const void*>(kRunTimeError));
}

extern "C" void unused_handler() { fault_handler(); }

// The vector table of the Cortex-M core after its first word, the initial
// stack pointer (which the linker script writes): reset, then exceptions.
__attribute__((section(".vectors"), used)) void (*const g_vectors[15])() = {
    reset_handler,
    unused_handler,  // NMI
    fault_handler,   // hard fault
    fault_handler,   // memory management
    fault_handler,   // bus fault
    fault_handler,   // usage fault
    nullptr, nullptr, nullptr, nullptr,
    unused_handler,  // SVCall
    unused_handler,  // debug monitor
    nullptr,
    unused_handler,  // PendSV
    SysTick_Handler,
};
