/* An independent hazard checker for compiled plans. It does not share code or state with
 * the compiler: it replays a plan (uses, barriers, releases/acquires, events, semaphore
 * waits) against a small model of Vulkan's execution and memory dependency rules, per image
 * subresource and per buffer unit, in the spirit of the validation layer's synchronization
 * validation, and reports the first violation:
 *  - an access whose conflicting predecessor is not ordered before it (RAW, WAR, WAW), or
 *    whose predecessor's write is not available and visible to it;
 *  - an image used in a layout other than the one it is in;
 *  - a use on a queue family that does not own defined contents, an acquire without a
 *    matching release ordered before it;
 *  - a barrier that nothing needs (the use after it was already safe), a write-after-read
 *    barrier with a memory dependency, a discard of contents that are still needed.
 */
#ifndef VKGT_GRAPH_CHECKER_H_
#define VKGT_GRAPH_CHECKER_H_

#include "vkgraph.h"

/* true when the plan is correct; otherwise false with the reason in `why`. */
bool vkgt_check_plan(const vkg_plan *plan, char *why, size_t why_size);
/* The same on plain plan data, so a test can hand it a damaged copy. */
bool vkgt_check_plan_info(const vkg_plan_info *info, char *why, size_t why_size);

#endif
