/* A process for the narrowing scan tests: a counter that SIGUSR1 increments, among
 * decoys that start with the same value.
 *
 * usage: counter_target START STEADY CLIMBERS FALLERS [FIXED_ADDRESS_HEX|-]
 *
 * memtui_counter (a global u32), and an array of STEADY + CLIMBERS + FALLERS u32
 * decoys right after one another, all start at START. On each SIGUSR1 the counter
 * grows by 1, the climbers by 2 and the fallers shrink by 1, the steady ones stay;
 * then the target writes "bumped" on stdout. With FIXED_ADDRESS_HEX the counter is
 * the first word of a page mapped exactly there, the decoys follow it at +0x40, so a
 * snapshot shows the same addresses on every run.
 *
 * START comes from the command line and the stack the parsing used is cleared, so
 * the only copies of it in memory are those placed here. Prints one line of
 * name=value pairs, then exits on 'q' or end of input.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

volatile uint32_t memtui_counter;
static volatile uint32_t *counter = &memtui_counter;
static volatile uint32_t *climbers, *fallers;
static long climber_count, faller_count;
/* Read from memory at each use, and zeroed after: no register keeps START for long. */
static volatile uint32_t start_value;

static void bump(int signal_number) {
    (void)signal_number;
    *counter += 1;
    for (long i = 0; i < climber_count; i++) climbers[i] += 2;
    for (long i = 0; i < faller_count; i++) fallers[i] -= 1;
    static const char said[] = "bumped\n";
    ssize_t ignored = write(1, said, sizeof said - 1);
    (void)ignored;
}

/* Overwrite the stack below main, where strtoul and friends left their locals. */
__attribute__((noinline)) static void fill(volatile uint32_t *decoy, long decoys) {
    *counter = start_value;
    for (long i = 0; i < decoys; i++) decoy[i] = start_value;
    start_value = 0;
}

__attribute__((noinline)) static void clear_stack(void) {
    char pad[1 << 18];
    explicit_bzero(pad, sizeof pad);
}

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: counter_target START STEADY CLIMBERS FALLERS [FIXED]\n"); return 2; }
    start_value = (uint32_t)strtoul(argv[1], NULL, 0);
    long steady = atol(argv[2]);
    climber_count = atol(argv[3]);
    faller_count = atol(argv[4]);
    long decoys = steady + climber_count + faller_count;
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *fixed = NULL;
    volatile uint32_t *decoy;
    if (argc > 5 && strcmp(argv[5], "-") != 0) {
        void *want = (void *)strtoull(argv[5], NULL, 16);
        size_t size = ((0x40 + 4 * decoys) / page + 1) * page;
        fixed = mmap(want, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (fixed == MAP_FAILED || (void *)fixed != want) { perror("mmap"); return 3; }
        counter = (volatile uint32_t *)fixed;
        decoy = (volatile uint32_t *)(fixed + 0x40);
    } else {
        decoy = mmap(NULL, 4 * decoys + 4, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (decoy == MAP_FAILED) { perror("mmap"); return 3; }
    }
    fill(decoy, decoys);
    climbers = decoy + steady;
    fallers = climbers + climber_count;
    clear_stack();

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = bump;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGUSR1, &action, NULL);

    printf("counter=%p steady=%p climbers=%p fallers=%p fixed=%p\n", (void *)counter,
           (void *)decoy, (void *)climbers, (void *)fallers, (void *)fixed);
    fflush(stdout);
    clear_stack();
    int command;
    while ((command = getchar()) != EOF)
        if (command == 'q') return 0;
    return 0;
}
