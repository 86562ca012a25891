/* A process whose counters move when told to: the watch tests' target.
 *
 * usage: watch_target [FIXED_ADDRESS_HEX|-]
 *
 * Each SIGUSR1 adds 1 to the u32 memtui_watch_counter and 0.25 to the f64
 * memtui_watch_level. With FIXED_ADDRESS_HEX a page at that address holds the same
 * two values (u32 at +0x10, f64 at +0x18) and moves with them, so a snapshot's bytes
 * are the same on every run; the page also holds "memtui watch page" at +0x40.
 * Prints one line of name=value pairs, then exits on 'q' or end of input.
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

volatile uint32_t memtui_watch_counter = 41;
volatile double memtui_watch_level = 0.5;
static volatile uint32_t *fixed_counter;
static volatile double *fixed_level;

static void bump(int signal_number) {
    (void)signal_number;
    memtui_watch_counter++;
    memtui_watch_level += 0.25;
    if (fixed_counter) {
        *fixed_counter = memtui_watch_counter;
        *fixed_level = memtui_watch_level;
    }
}

int main(int argc, char **argv) {
    unsigned char *fixed = NULL;
    if (argc > 1 && strcmp(argv[1], "-") != 0) {
        void *want = (void *)strtoull(argv[1], NULL, 16);
        fixed = mmap(want, 4096, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (fixed == MAP_FAILED || (void *)fixed != want) { perror("mmap"); return 3; }
        fixed_counter = (volatile uint32_t *)(fixed + 0x10);
        fixed_level = (volatile double *)(fixed + 0x18);
        *fixed_counter = memtui_watch_counter;
        *fixed_level = memtui_watch_level;
        strcpy((char *)fixed + 0x40, "memtui watch page");
    }
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = bump;
    action.sa_flags = SA_RESTART; /* the read of stdin goes on after each signal */
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGUSR1, &action, NULL) != 0) { perror("sigaction"); return 3; }
    printf("counter=%p level=%p fixed=%p\n", (void *)&memtui_watch_counter,
           (void *)&memtui_watch_level, (void *)fixed);
    fflush(stdout);
    int command;
    while ((command = getchar()) != EOF) {
        if (command == 'q') return 0;
    }
    return 0;
}
