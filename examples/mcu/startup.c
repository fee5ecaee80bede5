/* fixnet on a microcontroller: reset handler, vector table and semihosting
   for the emulated boards. The reset handler copies .data from flash, zeroes
   .bss, enables the FPU where there is one, opens newlib's semihosted stdio,
   and calls main() with the host's command line (QEMU's semihosting args).
   C, not C++: C++ may not call main. */
#include <stdint.h>
#include <stdlib.h>

/* From the linker script. */
extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start__[], __bss_end__[];
int main(int argc, char** argv);
void initialise_monitor_handles(void);
void __libc_init_array(void);
void _init(void) {}
void _fini(void) {}
void* __dso_handle = 0; /* C++ static destructors register with it (normally crtbegin's) */
void SysTick_Handler(void);

/* An Arm semihosting call: operation in r0, parameter block in r1. */
static int semihost(int operation, const void* block) {
  register int r0 __asm__("r0") = operation;
  register const void* r1 __asm__("r1") = block;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

enum { kWrite0 = 0x04, kGetCommandLine = 0x15, kExit = 0x18 };
enum { kRunTimeError = 0x20023 }; /* ADP_Stopped_RunTimeErrorUnknown: QEMU exits with 1 */

static char g_command_line[1024];
static char* g_argv[64];

/* Splits the host's command line at spaces into g_argv; returns argc. */
static int command_line(void) {
  struct {
    char* buffer;
    int size;
  } block = {g_command_line, (int)sizeof g_command_line - 1};
  if (semihost(kGetCommandLine, &block) != 0) return 0;
  g_command_line[block.size] = '\0';
  int argc = 0;
  for (char* p = g_command_line; *p != '\0' && argc < 63;) {
    while (*p == ' ') *p++ = '\0';
    if (*p == '\0') break;
    g_argv[argc++] = p;
    while (*p != '\0' && *p != ' ') ++p;
  }
  g_argv[argc] = 0;
  return argc;
}

void reset_handler(void) {
  for (uint32_t *from = __data_load, *to = __data_start; to < __data_end;) *to++ = *from++;
  for (uint32_t* p = __bss_start__; p < __bss_end__;) *p++ = 0;
#if defined(__ARM_FP)
  *(volatile uint32_t*)0xE000ED88 |= 0xFu << 20; /* CPACR: CP10 and CP11 full access */
  __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
  initialise_monitor_handles();
  __libc_init_array();
  const int argc = command_line();
  exit(main(argc, g_argv));
}

/* abort() (an allocation that failed in a test, say) ends the run with a
   message and a failing exit status. */
void abort(void) {
  semihost(kWrite0, "fixnet firmware: abort\n");
  for (;;) semihost(kExit, (const void*)kRunTimeError);
}

/* Any fault ends the run with a message and a failing exit status. */
void fault_handler(void) {
  semihost(kWrite0, "fixnet firmware: fault (hard, memory, bus or usage)\n");
  for (;;) semihost(kExit, (const void*)kRunTimeError);
}

/* The vector table after its first word, the initial stack pointer (which
   the linker script writes): reset, then the exceptions. */
__attribute__((section(".vectors"), used)) void (*const g_vectors[15])(void) = {
    reset_handler,
    fault_handler, /* NMI */
    fault_handler, /* hard fault */
    fault_handler, /* memory management */
    fault_handler, /* bus fault */
    fault_handler, /* usage fault */
    0, 0, 0, 0,
    fault_handler, /* SVCall */
    fault_handler, /* debug monitor */
    0,
    fault_handler, /* PendSV */
    SysTick_Handler,
};
