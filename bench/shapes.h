/* Graph shapes for the compiler benchmark, written as vkgraph JSON so that the benchmark and
 * `vkgraph plan --json` compile the very same graph (bench_compile --emit SHAPE PASSES).
 *
 *   chain    each pass samples the image the pass before drew and draws a new one
 *   random   compute passes each write two new buffers and read up to two earlier ones
 *            chosen at random among all: long, heavily overlapping lifetimes
 *   fanout   one producer, 254 readers that each write their own buffer, one pass that
 *            gathers them all; repeated
 *   pyramid  images of 11 mips x 2 layers: a pass per mip down, a pass per mip up, layers
 *            separately on alternate passes; each pyramid starts from the last one
 *   families graphics, compute and transfer passes at random over images and buffers
 *            (three queue families on the default caps): ownership transfers everywhere
 */
#ifndef VKG_BENCH_SHAPES_H_
#define VKG_BENCH_SHAPES_H_

#include <stdint.h>

#define SHAPE_COUNT 5
extern const char *const shape_names[SHAPE_COUNT];

/* The graph as JSON text (malloc'd, NUL-terminated) with about `passes` passes; NULL when out
 * of memory or the shape is unknown. */
char *shape_json(const char *shape, uint32_t passes, uint64_t seed);

#endif
