// LD_PRELOAD shim for running assetbuild under valgrind 3.19 (Debian 12), used by
// bench/callgrind.sh. Swift's async main parks the main thread in dispatch_main, which calls
// sigsuspend with a mask in read-only memory; valgrind 3.19 writes into that mask and dies
// ("the 'impossible' happened", SIGSEGV in rt_sigsuspend). Hand the kernel a writable copy.
#define _GNU_SOURCE
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>
int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, 8);
}
