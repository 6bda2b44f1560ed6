/* Shared by the benchmark programs: clocks, medians, environment knobs, and *figures*.
 *
 * A figure is one named number. bench_figure prints it ("figure NAME VALUE UNIT") and, when
 * VKG_BENCH_OUT names a file, appends it there as one JSON line with what it was measured
 * on: the program, the device and its driver (bench_set_device), the machine (CPU model,
 * cores, memory, kernel) and the date. `make bench` (bench/run.sh) collects those lines
 * into bench/out/results.json and draws the charts (bench/report.mjs). */
#ifndef VKG_BENCH_H_
#define VKG_BENCH_H_

#include "vkgraph.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static inline double bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Sorts t[0..n) and returns its median (n > 0). */
static inline double bench_median(double *t, uint32_t n)
{
    qsort(t, n, sizeof *t, bench_cmp_double);
    return t[n / 2];
}

/* After waiting for the GPU, before the next timed frame: the CPU drivers' worker threads
 * (lavapipe's, SwiftShader's) keep spinning for a moment after their work is done, and on a
 * two-core machine they would take the timed thread's core. VKG_BENCH_SETTLE_US (default
 * 3000) sleeps that long; 0 turns it off. Timed regions never include it. */
static inline void bench_settle(void)
{
    const char *s = getenv("VKG_BENCH_SETTLE_US");
    long us = s && *s ? atol(s) : 3000;
    if (us > 0) {
        struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
}

/* A failed call in a benchmark: it names the call and exits 1 (a benchmark measures; it
 * does not recover). CHECK in each program passes its own name. */
/* Leaves at once: the device, vkgraph's watcher thread and the driver's threads are still
 * running, and exit()'s teardown (the driver's own exit handlers) races them — after a lost
 * device on an NVIDIA H200, bench_completions ended in SIGSEGV that way. */
static inline void bench_die(const char *program, const char *what, int code)
{
    fprintf(stderr, "%s: %s failed (%d)\n", program, what, code);
    fflush(NULL);
    _exit(1);
}
#define BENCH_CHECK(program, call, what)                                                           \
    do {                                                                                           \
        int bench_e_ = (int)(call);                                                                \
        if (bench_e_ != 0) bench_die((program), (what), bench_e_);                                 \
    } while (0)

/* VKG_BENCH_SHORT=1: tiny sizes, as CTest runs every benchmark. */
static inline bool bench_short(void)
{
    const char *s = getenv("VKG_BENCH_SHORT");
    return s && *s && strcmp(s, "0") != 0;
}

static inline uint32_t bench_env_u32(const char *name, uint32_t fallback)
{
    const char *s = getenv(name);
    return s && *s ? (uint32_t)strtoul(s, NULL, 10) : fallback;
}

/* A vkg_allocator that counts vkgraph's host allocations (malloc and realloc calls):
 * bench_allocator() for a desc, bench_allocations() to read the count. */
static atomic_ulong bench_allocs_;
static inline void *bench_count_alloc_(void *user, size_t size)
{
    (void)user;
    atomic_fetch_add(&bench_allocs_, 1);
    return malloc(size);
}
static inline void *bench_count_realloc_(void *user, void *ptr, size_t size)
{
    (void)user;
    atomic_fetch_add(&bench_allocs_, 1);
    return realloc(ptr, size);
}
static inline void bench_count_free_(void *user, void *ptr)
{
    (void)user;
    free(ptr);
}
static inline vkg_allocator bench_allocator(void)
{
    return (vkg_allocator){bench_count_alloc_, bench_count_realloc_, bench_count_free_, NULL};
}
static inline unsigned long bench_allocations(void)
{
    return (unsigned long)atomic_load(&bench_allocs_);
}

/* The device (and driver) the next figures are measured on; "" for device-free figures. */
static char bench_device_[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
static char bench_driver_[VK_MAX_DRIVER_NAME_SIZE + VK_MAX_DRIVER_INFO_SIZE + 4];

static inline void bench_set_device(const vkg_device *dev)
{
    bench_device_[0] = bench_driver_[0] = 0;
    if (!dev) return;
    const vkg_caps *caps = vkg_device_caps(dev);
    snprintf(bench_device_, sizeof bench_device_, "%s", caps->device_name);
    vkg_physical_device_info info[16];
    uint32_t count = 16, picked;
    if (vkg_enumerate_devices(NULL, info, &count, &picked) != VKG_SUCCESS) return;
    for (uint32_t i = 0; i < count && i < 16; i++)
        if (strcmp(info[i].caps.device_name, caps->device_name) == 0) {
            snprintf(bench_driver_, sizeof bench_driver_, "%s %s", info[i].driver_name,
                     info[i].driver_info);
            break;
        }
}

/* "Intel(R) Xeon(R) ... , 2 cores, 24 GiB, Linux 6.1.0 x86_64" */
static inline void bench_machine(char *out, size_t size)
{
    char model[128] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "model name", 10) == 0) {
                const char *c = strchr(line, ':');
                if (c) {
                    snprintf(model, sizeof model, "%s", c + 2);
                    model[strcspn(model, "\n")] = 0;
                }
                break;
            }
        fclose(f);
    }
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    struct utsname u;
    if (uname(&u) != 0) strcpy(u.sysname, "?"), strcpy(u.release, "?"), strcpy(u.machine, "?");
    snprintf(out, size, "%s, %ld cores, %.0f GiB, %s %s %s", model, sysconf(_SC_NPROCESSORS_ONLN),
             (double)pages * (double)page / 1073741824.0, u.sysname, u.release, u.machine);
}

/* Writes `s` as a JSON string (quotes and backslashes escaped, control characters dropped). */
static inline void bench_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') fputc('\\', f);
        if ((unsigned char)*s >= 0x20) fputc(*s, f);
    }
    fputc('"', f);
}

/* VKG_BENCH_TAG, when set, is appended to every figure's name ("_swiftshader": the same
 * program run on a second device in the same `make bench`). */
static inline void bench_figure(const char *program, const char *base, double value,
                                const char *unit)
{
    char name[160];
    const char *tag = getenv("VKG_BENCH_TAG");
    snprintf(name, sizeof name, "%s%s", base, tag ? tag : "");
    printf("figure %s %.6g %s\n", name, value, unit);
    const char *path = getenv("VKG_BENCH_OUT");
    if (!path || !*path) return;
    FILE *f = fopen(path, "a");
    if (!f) {
        fprintf(stderr, "%s: cannot append to VKG_BENCH_OUT=%s\n", program, path);
        return;
    }
    char machine[384], date[32];
    bench_machine(machine, sizeof machine);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, "{\"name\": ");
    bench_json_string(f, name);
    fprintf(f, ", \"value\": %.9g, \"unit\": ", value);
    bench_json_string(f, unit);
    fprintf(f, ", \"program\": ");
    bench_json_string(f, program);
    fprintf(f, ", \"device\": ");
    bench_json_string(f, bench_device_);
    fprintf(f, ", \"driver\": ");
    bench_json_string(f, bench_driver_);
    fprintf(f, ", \"machine\": ");
    bench_json_string(f, machine);
    fprintf(f, ", \"date\": ");
    bench_json_string(f, date);
    fprintf(f, "}\n");
    fclose(f);
}

#endif
