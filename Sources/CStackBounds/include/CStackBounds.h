#ifndef STATESMAN_CSTACKBOUNDS_H
#define STATESMAN_CSTACKBOUNDS_H

#include <stdint.h>

/// The lowest address of the calling thread's stack, or 0 when it cannot be found.
uintptr_t statesman_stack_low(void);

#endif
