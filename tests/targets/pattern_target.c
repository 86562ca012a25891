/* A process for the memory view's tests: a known pattern next to a guard page.
 *
 * usage: pattern_target [FIXED_ADDRESS_HEX [BIG_MIB]]
 *
 * Maps four pages: a PROT_NONE lead page, the pattern page ("MEMTUI-PATTERN-
 * 0123456789abcdef" then bytes i*7+3), a PROT_NONE guard page (holding 'N', never
 * to be shown), and a read-only page of 'H'. The protections differ from page to
 * page and from the neighbours', so the kernel merges none of them into another
 * mapping: each is a mapping of its own. With FIXED_ADDRESS_HEX the pattern page
 * goes exactly there (MAP_FIXED_NOREPLACE), so a snapshot shows the same addresses
 * on every run. With BIG_MIB it also maps that
 * many MiB of bytes that encode their own offset (for the bench). Prints one line
 * of name=value pairs, then exits on 'q' or end of input.
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

static const char PATTERN[] = "MEMTUI-PATTERN-0123456789abcdef";

int main(int argc, char **argv) {
    long page = sysconf(_SC_PAGESIZE);
    char *fixed = argc > 1 && strcmp(argv[1], "-") != 0 ? (char *)strtoull(argv[1], NULL, 16) : NULL;
    void *want = fixed ? fixed - page : NULL;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | (want ? MAP_FIXED_NOREPLACE : 0);
    unsigned char *lead = mmap(want, 4 * page, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (lead == MAP_FAILED || (want && (void *)lead != want)) { perror("mmap"); return 3; }
    unsigned char *base = lead + page;
    for (long i = 0; i < page; i++) base[i] = (unsigned char)(i * 7 + 3);
    memcpy(base, PATTERN, sizeof PATTERN - 1);
    memset(base + page, 'N', page);
    memset(base + 2 * page, 'H', page);
    mprotect(lead, page, PROT_NONE);
    mprotect(base + page, page, PROT_NONE);
    mprotect(base + 2 * page, page, PROT_READ);

    unsigned char *big = NULL;
    long big_size = argc > 2 ? atol(argv[2]) << 20 : 0;
    if (big_size) {
        big = mmap(NULL, big_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (big == MAP_FAILED) { perror("mmap big"); return 3; }
        /* Every 8 bytes hold their own offset, so any row read can be checked. */
        for (long i = 0; i < big_size; i += 8) *(uint64_t *)(big + i) = (uint64_t)i;
    }
    printf("pattern=%p guard=%p after=%p big=%p big_size=%ld page=%ld\n", (void *)base,
           (void *)(base + page), (void *)(base + 2 * page), (void *)big, big_size, page);
    fflush(stdout);
    int command;
    while ((command = getchar()) != EOF)
        if (command == 'q') return 0;
    return 0;
}
