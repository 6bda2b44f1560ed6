/* Parsing and printing of simulated queue-family shapes (family_spec.h). Pure: no Vulkan
 * calls, so the layer and the library share it. */
#include "family_spec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool vkg__family_flag(char c, VkQueueFlags *flag)
{
    switch (c) {
    case 'g': *flag = VK_QUEUE_GRAPHICS_BIT; return true;
    case 'c': *flag = VK_QUEUE_COMPUTE_BIT; return true;
    case 't': *flag = VK_QUEUE_TRANSFER_BIT; return true;
    case 's': *flag = VK_QUEUE_SPARSE_BINDING_BIT; return true;
    default: return false;
    }
}

/* One "LETTERS:COUNT" item of `len` characters at `s`, the family `index`. */
static bool vkg__family_parse_one(const char *s, size_t len, uint32_t index, vkg__family_spec *out,
                                  char *why, size_t why_size)
{
    VkQueueFlags flags = 0;
    size_t i = 0;
    for (; i < len && s[i] != ':'; i++) {
        VkQueueFlags f;
        if (!vkg__family_flag(s[i], &f)) {
            snprintf(why, why_size,
                     "family %u: '%c' is not a capability (g graphics, c compute, t transfer, "
                     "s sparse binding)",
                     index, s[i]);
            return false;
        }
        flags |= f;
    }
    if (!(flags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT | VK_QUEUE_TRANSFER_BIT))) {
        snprintf(why, why_size, "family %u has none of g, c, t (write it as \"gct:2\")", index);
        return false;
    }
    if (i == len) {
        snprintf(why, why_size, "family %u lacks its queue count (write it as \"%.*s:2\")", index,
                 (int)len, s);
        return false;
    }
    char digits[16];
    size_t n = len - i - 1;
    if (n == 0 || n >= sizeof digits) {
        snprintf(why, why_size, "family %u: the queue count after ':' is missing or too long",
                 index);
        return false;
    }
    memcpy(digits, s + i + 1, n);
    digits[n] = 0;
    char *end;
    unsigned long q = strtoul(digits, &end, 10);
    if (*end || digits[0] < '0' || digits[0] > '9' || q < 1 || q > VKG__FAMILY_SPEC_MAX_QUEUES) {
        snprintf(why, why_size, "family %u: queue count \"%s\" is not a number from 1 to %u",
                 index, digits, VKG__FAMILY_SPEC_MAX_QUEUES);
        return false;
    }
    out->flags[index] = flags;
    out->queues[index] = (uint32_t)q;
    return true;
}

bool vkg__family_spec_parse(const char *text, vkg__family_spec *out, char *why, size_t why_size)
{
    memset(out, 0, sizeof *out);
    if (!text || !text[0] || strcmp(text, "1") == 0 || strcmp(text, "default") == 0)
        text = VKG__FAMILY_SPEC_DEFAULT;
    const char *s = text;
    for (;;) {
        const char *comma = strchr(s, ',');
        size_t len = comma ? (size_t)(comma - s) : strlen(s);
        if (out->count == VKG__FAMILY_SPEC_MAX_FAMILIES) {
            snprintf(why, why_size, "more than %u families", VKG__FAMILY_SPEC_MAX_FAMILIES);
            return false;
        }
        if (!vkg__family_parse_one(s, len, out->count, out, why, why_size)) return false;
        out->count++;
        if (!comma) break;
        s = comma + 1;
    }
    /* The spec requires a family with both graphics and compute wherever one has graphics,
     * and vkgraph (like most engines) needs it; refuse a shape no conformant GPU has. */
    bool graphics = false, universal = false;
    for (uint32_t i = 0; i < out->count; i++) {
        graphics |= (out->flags[i] & VK_QUEUE_GRAPHICS_BIT) != 0;
        universal |= (out->flags[i] & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT)) ==
                     (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT);
    }
    if (graphics && !universal) {
        snprintf(why, why_size,
                 "a family has graphics but none has graphics and compute together (Vulkan "
                 "requires one): add one such as \"gct:1\"");
        return false;
    }
    why[0] = 0;
    return true;
}

void vkg__family_spec_format(const vkg__family_spec *spec, char *buf, size_t size)
{
    static const struct { VkQueueFlags flag; char letter; } letters[] = {
        {VK_QUEUE_GRAPHICS_BIT, 'g'}, {VK_QUEUE_COMPUTE_BIT, 'c'},
        {VK_QUEUE_TRANSFER_BIT, 't'}, {VK_QUEUE_SPARSE_BINDING_BIT, 's'}};
    size_t at = 0;
    if (size) buf[0] = 0;
    for (uint32_t i = 0; i < spec->count && at < size; i++) {
        char item[32];
        size_t n = 0;
        for (size_t k = 0; k < sizeof letters / sizeof letters[0]; k++)
            if (spec->flags[i] & letters[k].flag) item[n++] = letters[k].letter;
        item[n] = 0;
        int w = snprintf(buf + at, size - at, "%s%s:%u", i ? "," : "", item, spec->queues[i]);
        if (w < 0) return;
        at += (size_t)w;
    }
}
