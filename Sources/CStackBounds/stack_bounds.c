#define _GNU_SOURCE
#include "CStackBounds.h"

#include <pthread.h>

// The answer per thread: glibc finds the main thread's stack by reading /proc/self/maps,
// far too slow to do for every evaluation.
static __thread uintptr_t cached_low = 0;

uintptr_t statesman_stack_low(void) {
    if (cached_low != 0) return cached_low;
#if defined(__APPLE__)
    pthread_t self = pthread_self();
    cached_low = (uintptr_t)pthread_get_stackaddr_np(self) - pthread_get_stacksize_np(self);
#else
    pthread_attr_t attributes;
    if (pthread_getattr_np(pthread_self(), &attributes) != 0) return 0;
    void *address = 0;
    size_t size = 0;
    int failed = pthread_attr_getstack(&attributes, &address, &size);
    pthread_attr_destroy(&attributes);
    if (failed) return 0;
    cached_low = (uintptr_t)address;
#endif
    return cached_low;
}
