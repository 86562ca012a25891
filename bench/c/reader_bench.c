/* C baselines for bench/bench_reader.py.
 *
 *   reader_bench target SIZE NTHREADS        fill SIZE bytes from a fixed PRNG seed, print
 *                                            "ADDR", then sleep until stdin closes
 *   reader_bench vm_readv PID ADDR SIZE REPS time REPS process_vm_readv calls of SIZE
 *                                            bytes into one reused, pre-touched buffer;
 *                                            print the median seconds per read
 *   reader_bench preadmem PID ADDR SIZE REPS  the same for pread of /proc/PID/mem
 *   reader_bench memcpy SIZE REPS            the same for an in-process memcpy
 *   reader_bench pread PID ADDR SIZE [CHUNK] pread /proc/PID/mem in CHUNK-byte reads (4 MiB)
 *                                            to stdout
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void *touched(size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(1); }
    memset(p, 1, size);
    return p;
}

static void *sleeper(void *arg) { (void)arg; for (;;) pause(); return NULL; }

static double median(double *times, long reps) {
    qsort(times, reps, sizeof *times, compare);
    return times[reps / 2];
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "target") == 0) {
        size_t size = strtoull(argv[2], NULL, 0);
        unsigned long long *p = touched(size), x = 0x9E3779B97F4A7C15ull;
        for (size_t i = 0; i < size / 8; i++) {  /* xorshift64: fixed seed, "random" bytes */
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            p[i] = x;
        }
        for (long i = 1; i < atol(argv[3]); i++) {
            pthread_t t;
            pthread_create(&t, NULL, sleeper, NULL);
        }
        printf("%p\n", (void *)p);
        fflush(stdout);
        char c;
        while (read(0, &c, 1) > 0) {}
        return 0;
    }
    if (argc >= 6 && strcmp(argv[1], "vm_readv") == 0) {
        pid_t pid = atoi(argv[2]);
        unsigned long addr = strtoul(argv[3], NULL, 0);
        size_t size = strtoull(argv[4], NULL, 0);
        long reps = atol(argv[5]);
        char *buf = touched(size);
        double *times = calloc(reps, sizeof *times);
        for (long r = 0; r < reps; r++) {
            struct iovec local = {buf, size}, remote = {(void *)addr, size};
            double t = now();
            if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)size) {
                perror("process_vm_readv"); return 1;
            }
            times[r] = now() - t;
        }
        printf("%.9f\n", median(times, reps));
        return 0;
    }
    if (argc >= 6 && strcmp(argv[1], "preadmem") == 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%s/mem", argv[2]);
        int fd = open(path, O_RDONLY);
        if (fd < 0) { perror(path); return 1; }
        unsigned long addr = strtoul(argv[3], NULL, 0);
        size_t size = strtoull(argv[4], NULL, 0);
        long reps = atol(argv[5]);
        char *buf = touched(size);
        double *times = calloc(reps, sizeof *times);
        for (long r = 0; r < reps; r++) {
            double t = now();
            if (pread(fd, buf, size, addr) != (ssize_t)size) { perror("pread"); return 1; }
            times[r] = now() - t;
        }
        printf("%.9f\n", median(times, reps));
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "memcpy") == 0) {
        size_t size = strtoull(argv[2], NULL, 0);
        long reps = atol(argv[3]);
        char *src = touched(size), *dst = touched(size);
        double *times = calloc(reps, sizeof *times);
        for (long r = 0; r < reps; r++) {
            double t = now();
            memcpy(dst, src, size);
            __asm__ volatile("" ::: "memory");
            times[r] = now() - t;
        }
        printf("%.9f\n", median(times, reps));
        return 0;
    }
    if (argc >= 5 && strcmp(argv[1], "pread") == 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%s/mem", argv[2]);
        int fd = open(path, O_RDONLY);
        if (fd < 0) { perror(path); return 1; }
        unsigned long addr = strtoul(argv[3], NULL, 0);
        size_t size = strtoull(argv[4], NULL, 0);
        size_t chunk = argc >= 6 ? strtoull(argv[5], NULL, 0) : 4 << 20;
        char *buf = touched(chunk);
        for (size_t done = 0; done < size;) {
            size_t want = size - done < chunk ? size - done : chunk;
            ssize_t got = pread(fd, buf, want, addr + done);
            if (got <= 0) { perror("pread"); return 1; }
            if (write(1, buf, got) != got) { perror("write"); return 1; }
            done += got;
        }
        return 0;
    }
    fprintf(stderr, "usage: see the comment at the top of reader_bench.c\n");
    return 2;
}
