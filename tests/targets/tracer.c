/* Holds another process traced (PTRACE_SEIZE, no stop) until killed. usage: tracer PID */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ptrace.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (ptrace(PTRACE_SEIZE, atoi(argv[1]), NULL, NULL) != 0) { perror("PTRACE_SEIZE"); return 1; }
    printf("seized\n");
    fflush(stdout);
    for (;;) pause();
}
