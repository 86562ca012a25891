/* A process with many threads, for the freeze's reliability tests.
 *
 * usage: threads_target NTHREADS [churn] [vfork SECONDS]
 *
 * NTHREADS workers (up to 4096, on small stacks) bump their own counter every
 * 20 ms, so a test can see that each keeps running without a thousand threads
 * costing a core. With "churn", one more thread starts and joins short-lived
 * threads without pause. With "vfork SECONDS", one more thread calls vfork() and
 * its child sleeps SECONDS before it exits: until then that thread waits in the
 * kernel, uninterruptibly, so PTRACE_INTERRUPT cannot stop it.
 *
 * Prints one line, "counters=0x... nthreads=N", then exits on "q" or EOF on stdin.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 4096
#define STACK_SIZE (64 * 1024)
static volatile unsigned long counters[MAX_THREADS];
static unsigned vfork_seconds;

static void *worker(void *arg) {
    long index = (long)arg;
    struct timespec tick = {0, 20 * 1000000};
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

static void *vfork_stall(void *arg) {
    (void)arg;
    pid_t child = vfork();
    if (child == 0) {
        struct timespec pause = {vfork_seconds, 0};
        nanosleep(&pause, NULL);
        _exit(0);
    }
    if (child > 0) waitpid(child, NULL, 0);
    return NULL;
}

int main(int argc, char **argv) {
    long nthreads = argc > 1 ? atol(argv[1]) : 0;
    if (nthreads > MAX_THREADS) nthreads = MAX_THREADS;
    int want_churn = 0;
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "churn") == 0) want_churn = 1;
        if (strcmp(argv[i], "vfork") == 0 && i + 1 < argc) vfork_seconds = (unsigned)atoi(argv[++i]);
    }

    static pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, STACK_SIZE);
    for (long i = 0; i < nthreads; i++) {
        pthread_t thread;
        if (pthread_create(&thread, &attr, worker, (void *)i) != 0) {
            perror("pthread_create");
            return 3;
        }
    }
    if (want_churn) {
        pthread_t thread;
        pthread_create(&thread, &attr, churn, NULL);
    }
    if (vfork_seconds) {
        pthread_t thread;
        pthread_create(&thread, &attr, vfork_stall, NULL);
    }

    printf("counters=%p nthreads=%ld\n", (void *)counters, nthreads);
    fflush(stdout);

    int command;
    while ((command = getchar()) != EOF) {
        if (command == 'q') return 0;
    }
    return 0;
}
