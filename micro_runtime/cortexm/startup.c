/* Minimal bare-metal startup for the mcunet-tf Cortex-M harness (QEMU mps2/mps3 boards).
 *
 * Vector table, reset handler (copy .data, zero .bss, enable the FPU/MVE when the build has one,
 * initialise_monitor_handles() for semihosting stdio, exit(main())) and a fault handler that
 * reports the fault over semihosting and stops QEMU with a non-zero exit status.
 * Symbols come from sections.ld. */
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

extern uint32_t __data_start__, __data_end__, __data_load__;
extern uint32_t __bss_start__, __bss_end__;
extern uint32_t __StackTop, __HeapBase, __HeapLimit;

extern int main(void);
extern void initialise_monitor_handles(void);
extern void __libc_init_array(void);

void Reset_Handler(void);
void mr_fault_handler(void);

/* Semihosting call: BKPT 0xAB on M-profile, r0 = operation, r1 = argument. */
static int mr_semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* Any exception other than reset: print which one (IPSR) and stop with exit status 1. */
void mr_fault_handler(void)
{
    static char msg[] = "MR_FAULT exception ??\n";
    uint32_t ipsr;
    __asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
    msg[19] = (char)('0' + (ipsr / 10) % 10);
    msg[20] = (char)('0' + ipsr % 10);
    mr_semihost(0x04 /* SYS_WRITE0 */, msg);
    mr_semihost(0x18 /* SYS_EXIT */, (const void *)0x20023 /* ADP_Stopped_RunTimeErrorUnknown */);
    for (;;) {
    }
}

typedef void (*mr_vector_t)(void);

__attribute__((section(".isr_vector"), used)) const mr_vector_t mr_vector_table[16 + 32] = {
    (mr_vector_t)(uintptr_t)&__StackTop, /* initial SP */
    Reset_Handler,
    mr_fault_handler, /* NMI */
    mr_fault_handler, /* HardFault */
    mr_fault_handler, /* MemManage */
    mr_fault_handler, /* BusFault */
    mr_fault_handler, /* UsageFault */
    mr_fault_handler, /* SecureFault (v8-M) */
    0, 0, 0,
    mr_fault_handler, /* SVC */
    mr_fault_handler, /* DebugMon */
    0,
    mr_fault_handler, /* PendSV */
    mr_fault_handler, /* SysTick */
    /* external interrupts are never enabled by the harness */
    mr_fault_handler, mr_fault_handler, mr_fault_handler, mr_fault_handler,
    mr_fault_handler, mr_fault_handler, mr_fault_handler, mr_fault_handler,
    mr_fault_handler, mr_fault_handler, mr_fault_handler, mr_fault_handler,
    mr_fault_handler, mr_fault_handler, mr_fault_handler, mr_fault_handler,
    mr_fault_handler, mr_fault_handler, mr_fault_handler, mr_fault_handler,
    mr_fault_handler, mr_fault_handler, mr_fault_handler, mr_fault_handler,
    mr_fault_handler, mr_fault_handler, mr_fault_handler, mr_fault_handler,
    mr_fault_handler, mr_fault_handler, mr_fault_handler, mr_fault_handler,
};

/* Heap for newlib (printf's buffers): from the end of .bss up to the stack reservation.
 * Overrides librdimon's weak _sbrk, which only checks against the current SP. */
void *_sbrk(ptrdiff_t increment)
{
    static char *heap_end;
    char *prev;
    if (heap_end == 0) {
        heap_end = (char *)&__HeapBase;
    }
    if (heap_end + increment > (char *)&__HeapLimit) {
        return (void *)-1;
    }
    prev = heap_end;
    heap_end += increment;
    return prev;
}

__attribute__((noreturn, used, section(".text.Reset_Handler"))) void Reset_Handler(void)
{
    uint32_t *src = &__data_load__;
    uint32_t *dst = &__data_start__;
    while (dst < &__data_end__) {
        *dst++ = *src++;
    }
    for (dst = &__bss_start__; dst < &__bss_end__;) {
        *dst++ = 0;
    }
    /* The vector table may not be at the boot address (VTOR reset value) on every board. */
    *(volatile uint32_t *)0xE000ED08u = (uint32_t)(uintptr_t)mr_vector_table; /* SCB->VTOR */
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* CPACR: full access to CP10/CP11 (FPU and, on v8.1-M, MVE). */
    *(volatile uint32_t *)0xE000ED88u |= (0xFu << 20);
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    initialise_monitor_handles();
    __libc_init_array();
    exit(main());
}

/* __libc_init_array calls _init(); -nostartfiles drops crti.o, so provide an empty one. */
void _init(void) {}
void _fini(void) {}
