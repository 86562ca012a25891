/* A process for memtui's reader tests to read.
 *
 * usage: target NTHREADS [DATAFILE] [churn]
 *
 * Prints one line of addresses, then obeys single-letter commands on stdin:
 *   u  munmap the "unmap" region, answer "unmapped"
 *   x  the main thread exits (pthread_exit) and a new thread reads the commands,
 *      answer "leader exiting": the leader is left a zombie while the rest runs
 *   e  read a program's path on the next line and exec it (no arguments), from
 *      whichever thread reads the commands
 *   q  exit 0
 * Worker threads bump their own counter every millisecond so a test can see that
 * they keep running. With "churn", one more thread starts and joins short-lived
 * threads without pause, so a freeze keeps meeting new and dying threads.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 64
static volatile unsigned long counters[MAX_THREADS];

static void *worker(void *arg) {
    long index = (long)arg;
    struct timespec tick = {0, 1000000};
    for (;;) {
        counters[index]++;
        nanosleep(&tick, NULL);
    }
    return NULL;
}

static void *short_lived(void *arg) {
    (void)arg;
    return NULL;
}

static void *churn(void *arg) {
    (void)arg;
    for (;;) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, short_lived, NULL) == 0) pthread_join(thread, NULL);
    }
    return NULL;
}

static void *map_pages(size_t size) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) { perror("mmap"); exit(3); }
    return p;
}

static size_t page_size;
static unsigned char *unmap_region;

static void *commands(void *arg) {
    (void)arg;
    int command;
    while ((command = getchar()) != EOF) {
        if (command == 'u') {
            munmap(unmap_region, 2 * page_size);
            printf("unmapped\n");
            fflush(stdout);
        } else if (command == 'x') {
            pthread_t thread;
            pthread_create(&thread, NULL, commands, NULL);
            printf("leader exiting\n");
            fflush(stdout);
            pthread_exit(NULL);
        } else if (command == 'e') {
            char path[4096];
            if (!fgets(path, sizeof path, stdin)) break;
            path[strcspn(path, "\n")] = 0;
            fflush(stdout);
            execl(path, path, (char *)NULL);
            perror(path);
            exit(3);
        } else if (command == 'q') {
            exit(0);
        }
    }
    exit(0);
}

int main(int argc, char **argv) {
    long page = sysconf(_SC_PAGESIZE);
    long nthreads = argc > 1 ? atol(argv[1]) : 0;
    if (nthreads > MAX_THREADS) nthreads = MAX_THREADS;

    unsigned char *known = map_pages(page);
    for (long i = 0; i < page; i++) known[i] = (unsigned char)(i * 7 + 3);

    /* three pages: readable 'G', PROT_NONE (holding 'N' that must never be shown), 'H' */
    unsigned char *guard = map_pages(3 * page);
    memset(guard, 'G', page);
    memset(guard + page, 'N', page);
    memset(guard + 2 * page, 'H', page);
    mprotect(guard + page, page, PROT_NONE);

    unsigned char *unmap = map_pages(2 * page);
    memset(unmap, 'U', 2 * page);
    page_size = page;
    unmap_region = unmap;

    unsigned char *data = NULL;
    long size = 0;
    if (argc > 2 && strcmp(argv[2], "-") != 0) {
        FILE *file = fopen(argv[2], "rb");
        struct stat st;
        if (!file || fstat(fileno(file), &st) != 0) { perror(argv[2]); return 3; }
        size = st.st_size;
        data = map_pages(size);
        if (fread(data, 1, size, file) != (size_t)size) { perror("fread"); return 3; }
        fclose(file);
    }

    for (long i = 0; i < nthreads; i++) {
        pthread_t thread;
        pthread_create(&thread, NULL, worker, (void *)i);
    }
    if (argc > 3 && strcmp(argv[3], "churn") == 0) {
        pthread_t thread;
        pthread_create(&thread, NULL, churn, NULL);
    }

    printf("known=%p guard=%p unmap=%p data=%p size=%ld counters=%p nthreads=%ld page=%ld\n",
           (void *)known, (void *)guard, (void *)unmap, (void *)data, size, (void *)counters,
           nthreads, page);
    fflush(stdout);

    commands(NULL);
    return 0;
}
