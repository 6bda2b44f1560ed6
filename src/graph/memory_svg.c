/* The transient memory map as SVG (vkg_plan_write_memory_svg): one band per heap, the plan's
 * passes left to right, heap offsets top to bottom, one box per transient from its first to
 * its last pass at its offset and size. Boxes in the same rows of a band share memory at
 * different times: that is aliasing. A dashed line marks the heap's peak of live bytes, the
 * least any placement could use; hovering a box shows its numbers. Self-contained: no
 * scripts, no fonts beyond the browser's sans-serif. */
#include "graph.h"

#include <inttypes.h>
#include <stdio.h>

#define SVG_LEFT 70.0
#define SVG_WIDTH 960.0
#define SVG_BAND 360.0
#define SVG_GAP 70.0

static void vkg__svg_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default:
            if ((unsigned char)*s >= 0x20) fputc(*s, f);
        }
    }
}

static const char *vkg__svg_bytes(uint64_t b, char *buf, size_t n)
{
    if (b >= (1ull << 20)) snprintf(buf, n, "%.2f MiB", (double)b / (1ull << 20));
    else if (b >= 1024) snprintf(buf, n, "%.1f KiB", (double)b / 1024);
    else snprintf(buf, n, "%" PRIu64 " B", b);
    return buf;
}

/* A colour per transient that neighbours tell apart: the golden angle around the hue wheel;
 * images warm and saturated, buffers lighter. */
static void vkg__svg_colour(uint32_t i, bool image, char *out, size_t n)
{
    unsigned hue = (unsigned)((i * 137.508) - 360.0 * (unsigned)((i * 137.508) / 360.0));
    snprintf(out, n, "hsl(%u,%u%%,%u%%)", hue, image ? 65u : 45u, image ? 55u : 70u);
}

static void vkg__svg_band(FILE *f, const vkg_plan_info *in, uint32_t h, double top)
{
    const vkg_plan_heap *hp = &in->heaps[h];
    char b1[32], b2[32], colour[32];
    double n = in->pass_count ? in->pass_count : 1;
    double pw = SVG_WIDTH / n, scale = hp->size ? SVG_BAND / (double)hp->size : 0;
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"h\">heap %u: memory type %u, %s", SVG_LEFT,
            top - 12, h, hp->memory_type, vkg__svg_bytes(hp->size, b1, sizeof b1));
    fprintf(f, " for %u transients; peak of live bytes %s (dashed)</text>\n", hp->resource_count,
            vkg__svg_bytes(hp->peak_live_bytes, b2, sizeof b2));
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" class=\"band\"/>\n",
            SVG_LEFT, top, SVG_WIDTH, SVG_BAND);
    for (uint32_t i = 0; i < in->resource_count; i++) {
        const vkg_plan_resource *r = &in->resources[i];
        if (r->heap != h) continue;
        uint32_t last = r->last_pass < in->pass_count ? r->last_pass : in->pass_count - 1;
        if (r->output) last = in->pass_count - 1;
        double x = SVG_LEFT + r->first_pass * pw, w = (last - r->first_pass + 1) * pw;
        double y = top + (double)r->offset * scale, hgt = (double)r->memory_size * scale;
        if (hgt < 1) hgt = 1;
        vkg__svg_colour(i, r->is_image, colour, sizeof colour);
        fprintf(f, "<g><title>");
        vkg__svg_text(f, r->name);
        fprintf(f, " (%s): %s at offset %" PRIu64 ", alignment %" PRIu64 "; passes %u..%u",
                r->is_image ? "image" : "buffer", vkg__svg_bytes(r->memory_size, b1, sizeof b1),
                (uint64_t)r->offset, (uint64_t)r->alignment, r->first_pass, last);
        for (uint32_t a = 0; a < r->alias_of_count; a++) {
            fputs(a ? ", " : "; takes over the memory of ", f);
            vkg__svg_text(f, in->resources[r->alias_of[a]].name);
        }
        fprintf(f, "</title><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                   "fill=\"%s\" class=\"t\"/>",
                x, y, w, hgt, colour);
        if (hgt >= 12 && w >= 48) { /* a label where it fits */
            fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" class=\"n\">", x + 3,
                    y + (hgt < 24 ? hgt - 3 : 14));
            vkg__svg_text(f, r->name);
            fputs("</text>", f);
        }
        fputs("</g>\n", f);
    }
    double peak = top + (double)hp->peak_live_bytes * scale;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" class=\"peak\"/>\n", SVG_LEFT,
            peak, SVG_LEFT + SVG_WIDTH, peak);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"a\" text-anchor=\"end\">0</text>\n",
            SVG_LEFT - 4, top + 10);
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" class=\"a\" text-anchor=\"end\">%s</text>\n",
            SVG_LEFT - 4, top + SVG_BAND, vkg__svg_bytes(hp->size, b1, sizeof b1));
    /* pass names along the bottom: every pass when they fit, else every k-th */
    uint32_t step = 1;
    while (in->pass_count / step > 48) step++;
    for (uint32_t k = 0; k < in->pass_count; k += step) {
        double x = SVG_LEFT + (k + 0.5) * pw, y = top + SVG_BAND + 8;
        fprintf(f, "<text x=\"%.2f\" y=\"%.1f\" class=\"p\" transform=\"rotate(40 %.2f %.1f)\">",
                x, y, x, y);
        vkg__svg_text(f, in->passes[k].name);
        fputs("</text>\n", f);
    }
}

vkg_result vkg_plan_write_memory_svg(const vkg_plan *plan, FILE *f)
{
    if (!plan || !f) return VKG_ERROR_INVALID_ARGUMENT;
    const vkg_plan_info *in = &plan->info;
    uint32_t bands = in->heap_count ? in->heap_count : 1;
    double height = 40 + bands * (SVG_BAND + SVG_GAP + 40);
    fprintf(f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
            "font-family=\"sans-serif\">\n<style>.h{font-size:13px;font-weight:bold}"
            ".a,.p{font-size:10px;fill:#444}.n{font-size:10px;fill:#111}"
            ".band{fill:#f6f6f6;stroke:#bbb}.t{stroke:#333;stroke-width:0.5}"
            ".peak{stroke:#c00;stroke-width:1.5;stroke-dasharray:6 4}</style>\n",
            SVG_LEFT + SVG_WIDTH + 20, height);
    fprintf(f, "<text x=\"%.1f\" y=\"20\" class=\"h\">", SVG_LEFT);
    vkg__svg_text(f, in->name);
    fprintf(f, ": transient memory, passes left to right, offsets top to bottom</text>\n");
    if (!in->heap_count)
        fprintf(f, "<text x=\"%.1f\" y=\"60\" class=\"a\">no transient memory</text>\n", SVG_LEFT);
    for (uint32_t h = 0; h < in->heap_count; h++)
        vkg__svg_band(f, in, h, 60 + h * (SVG_BAND + SVG_GAP + 40));
    fputs("</svg>\n", f);
    return ferror(f) ? VKG_ERROR_IO : VKG_SUCCESS;
}
