/* The monotonic clock every timing in vkgraph reads (compile phases, run and demo reports). */
#include "util.h"

#include <time.h>

uint64_t vkg__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double vkg__now_us(void)
{
    return (double)vkg__now_ns() / 1e3;
}
