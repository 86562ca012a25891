/* A process for the symbol and telescope tests: named globals, a function pointer,
 * a pointer chain three deep, and (optionally) the same words on a page at a fixed
 * address, for snapshots.
 *
 * usage: symbols_target [FIXED_ADDRESS_HEX]
 *
 * Built as PIE, as non-PIE and stripped (tests/targets/symbols.py); -rdynamic puts
 * every global in .dynsym, so the stripped copy still names them, while the static
 * memtui_local_counter lives in .symtab alone.
 *
 * memtui_words holds, word by word: a pointer to chain_a (heap) -> chain_b (heap)
 * -> memtui_known_global, whose first word is 0x1111; the address of
 * memtui_known_function; the address of memtui_greeting; its own address (a loop);
 * 0x1234; zeros. strfry is defined here as well as in libc. With FIXED_ADDRESS_HEX the page there holds the same shapes within
 * itself: a chain three deep, a string, a loop, a number.
 * Prints one line of name=value pairs, then exits on 'q' or end of input.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

struct known { uint64_t a, b, c, d; };
struct known memtui_known_global = {0x1111, 0x2222, 0x3333, 0x4444};
const char memtui_greeting[] = "hello from memtui";
uintptr_t memtui_words[16];
uintptr_t memtui_long_chain[8]; /* each word points at the next; the last holds 0x77 */
static volatile uint64_t memtui_local_counter = 7;

__attribute__((noinline)) int memtui_known_function(int x) {
    memtui_local_counter++;
    return x * 3 + 1;
}

int (*volatile memtui_function_pointer)(int) = memtui_known_function;

/* libc has a strfry too: a name two mapped files define, for the ambiguity test. */
__attribute__((noinline)) char *strfry(char *string) { return string; }

static void fill_fixed(uintptr_t *page) {
    /* words 0..15 are what a telescope from the page's start shows */
    page[0] = (uintptr_t)&page[32];   /* -> page[32] -> page[40] -> page[48] -> 0x4242 */
    page[32] = (uintptr_t)&page[40];
    page[40] = (uintptr_t)&page[48];
    page[48] = 0x4242;
    page[1] = (uintptr_t)&page[64];   /* -> text */
    strcpy((char *)&page[64], "fixed page text");
    page[2] = (uintptr_t)&page[2];    /* a loop */
    page[3] = 0x1234;
    page[4] = (uintptr_t)&page[5];    /* -> page[5] -> page[4]: a loop of two */
    page[5] = (uintptr_t)&page[4];
    page[6] = 0xdead000000000000ull;  /* not mapped */
}

int main(int argc, char **argv) {
    uintptr_t *fixed = NULL;
    if (argc > 1 && strcmp(argv[1], "-") != 0) {
        void *want = (void *)strtoull(argv[1], NULL, 16);
        fixed = mmap(want, 4096, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (fixed == MAP_FAILED || (void *)fixed != want) { perror("mmap"); return 3; }
        fill_fixed(fixed);
    }
    uintptr_t *chain_b = malloc(64);
    uintptr_t *chain_a = malloc(64);
    if (!chain_a || !chain_b) return 3;
    memset(chain_a, 0, 64);
    memset(chain_b, 0, 64);
    chain_b[0] = (uintptr_t)&memtui_known_global;
    chain_a[0] = (uintptr_t)chain_b;
    memtui_words[0] = (uintptr_t)chain_a;
    memtui_words[1] = (uintptr_t)memtui_known_function;
    memtui_words[2] = (uintptr_t)memtui_greeting;
    memtui_words[3] = (uintptr_t)&memtui_words[3];
    memtui_words[4] = 0x1234;
    for (int i = 0; i < 7; i++) memtui_long_chain[i] = (uintptr_t)&memtui_long_chain[i + 1];
    memtui_long_chain[7] = 0x77;
    printf("known_global=%p function=%p function_pointer=%p words=%p chain_a=%p chain_b=%p "
           "greeting=%p local_counter=%p long_chain=%p fixed=%p\n",
           (void *)&memtui_known_global, (void *)memtui_known_function,
           (void *)&memtui_function_pointer, (void *)memtui_words, (void *)chain_a,
           (void *)chain_b, (void *)memtui_greeting, (void *)&memtui_local_counter,
           (void *)memtui_long_chain, (void *)fixed);
    fflush(stdout);
    int command;
    while ((command = getchar()) != EOF) {
        if (command == 'q') return 0;
        if (command == 'c') { printf("%d\n", memtui_function_pointer(1)); fflush(stdout); }
    }
    return 0;
}
