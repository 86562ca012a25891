/* A process holding known values at known offsets, for search, the data inspector
 * and change highlighting.
 *
 * usage: values_target [FIXED_ADDRESS_HEX|-]
 *
 * Maps a read-write "values" page (at FIXED_ADDRESS_HEX exactly, if given) and, right
 * after it, a read-only page of 'B' (a mapping of its own, since its protection
 * differs). The values page holds, at these offsets:
 *
 *   0x000  "MEMTUI-NEEDLE-42" and a NUL     0x800  the same string again
 *   0x020  u64 0x1122334455667788            0x028  f64 2.718281828459045 (e)
 *   0x030  pointer to the 'B' page + 0x10    0x038  i32 -123456
 *   0x03c  f32 1.5                           0x040  UTF-16LE "wide-needle"
 *   0x060  pointer to a malloc'd block       0x070  a byte that 'c' increments
 *          (with FIXED_ADDRESS_HEX: to the 'B' page + 0x20, so the page's bytes are
 *          the same on every run, as a snapshot needs, despite ASLR of the heap)
 *
 * The values are built at run time from other constants, so the program's own
 * read-only data holds none of them: a search finds only the copies placed here.
 * Prints one line of name=value pairs; then 'c' increments the byte at 0x070 and
 * answers "changed", 'q' exits.
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

/* volatile: the compiler may not fold the reversal into immediates on the stack. */
static volatile char NEEDLE_REVERSED[] = "24-ELDEEN-IUTMEM";
static volatile char WIDE_REVERSED[] = "eldeen-ediw";
static volatile uint64_t high_part = 0x1122334455667700ULL;
static volatile double one = 1.0;

static size_t length(volatile const char *text) {
    size_t n = 0;
    while (text[n]) n++;
    return n;
}

static void put_reversed(unsigned char *to, volatile const char *from, size_t step) {
    size_t n = length(from);
    for (size_t i = 0; i < n; i++) to[i * step] = (unsigned char)from[n - 1 - i];
    to[n * step] = 0;
}

int main(int argc, char **argv) {
    long page = sysconf(_SC_PAGESIZE);
    void *want = argc > 1 && strcmp(argv[1], "-") != 0 ? (void *)strtoull(argv[1], NULL, 16) : NULL;
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | (want ? MAP_FIXED_NOREPLACE : 0);
    unsigned char *values = mmap(want, 2 * page, PROT_READ | PROT_WRITE, flags, -1, 0);
    if (values == MAP_FAILED || (want && (void *)values != want)) { perror("mmap"); return 3; }
    unsigned char *other = values + page;
    memset(other, 'B', page);
    mprotect(other, page, PROT_READ);

    char *block = malloc(64);
    memset(block, 'P', 64);

    put_reversed(values, NEEDLE_REVERSED, 1);
    put_reversed(values + 0x800, NEEDLE_REVERSED, 1);
    uint64_t u64 = high_part | 0x88;
    memcpy(values + 0x20, &u64, 8);
    double e = (one + one) * 0x1.5bf0a8b145769p+0;
    memcpy(values + 0x28, &e, 8);
    unsigned char *pointer = other + 0x10;
    memcpy(values + 0x30, &pointer, 8);
    int32_t i32 = -(int32_t)(one * 123456);
    memcpy(values + 0x38, &i32, 4);
    float f32 = (float)(one * 1.5);
    memcpy(values + 0x3c, &f32, 4);
    put_reversed(values + 0x40, WIDE_REVERSED, 2);
    unsigned char *second = want ? other + 0x20 : (unsigned char *)block;
    memcpy(values + 0x60, &second, 8);

    printf("values=%p other=%p block=%p page=%ld\n", (void *)values, (void *)other, (void *)block,
           page);
    fflush(stdout);
    int command;
    while ((command = getchar()) != EOF) {
        if (command == 'c') {
            values[0x70]++;
            printf("changed\n");
            fflush(stdout);
        } else if (command == 'q') {
            return 0;
        }
    }
    return 0;
}
