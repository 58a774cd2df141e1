/* A slower disk for the wear bench: every fsync and fdatasync of the process
 * waits SLOW_SYNC_US microseconds first, as an SD card's does (this machine's
 * virtual disk syncs in about 0.2 ms). Not part of the build; docs/BENCHMARKS.md
 * has the command:
 *
 *   gcc -shared -fPIC -O2 -o /tmp/slowsync.so benches/slowsync.c -ldl
 *   SLOW_SYNC_US=10000 LD_PRELOAD=/tmp/slowsync.so cargo bench --bench gateway -- wear acks
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static void wait_first(void) {
    const char *us = getenv("SLOW_SYNC_US");
    long n = us ? atol(us) : 0;
    if (n > 0) {
        struct timespec t = {n / 1000000, (n % 1000000) * 1000};
        nanosleep(&t, 0);
    }
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    wait_first();
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    wait_first();
    return real(fd);
}
