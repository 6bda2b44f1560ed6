/* `vkgraph run`: the CPU model, the same operations on a byte-exact copy of every resource. */
#include "internal.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void poison_image(rres *R, VkImageAspectFlags aspect, uint32_t m0, uint32_t nm, uint32_t l0,
                         uint32_t nl)
{
    uint32_t p0, p1;
    aspect_planes(R, aspect, &p0, &p1);
    for (uint32_t p = p0; p < p1; p++)
        for (uint32_t m = m0; m < m0 + nm; m++)
            for (uint32_t l = l0; l < l0 + nl; l++)
                memset(R->known + tixp(R, p, m, l, 0, 0), 0, (size_t)mip_w(R->pr, m) * mip_h(R->pr, m));
}

static uint32_t mword(const rres *R, uint64_t byte, bool *unknown)
{
    uint32_t w;
    memcpy(&w, R->val + byte, 4);
    if (!R->known[byte] || !R->known[byte + 1] || !R->known[byte + 2] || !R->known[byte + 3])
        *unknown = true;
    return w;
}

static void put_word(rres *R, uint64_t byte, uint32_t w, bool known)
{
    memcpy(R->val + byte, &w, 4);
    memset(R->known + byte, known ? 1 : 0, 4);
}

static void put_texel(rres *R, uint64_t t, uint32_t v, bool known)
{
    R->val[t] = (uint8_t)v;
    R->known[t] = known ? 1 : 0;
}

/* What the pass's barriers discard (transitions from UNDEFINED, here and in the split
 * barriers it waits for) and its host writes (run writes nothing from the host) leave
 * unknown. */
static void discard_barriers(runner *r, uint32_t first, uint32_t count)
{
    for (uint32_t i = first; i < first + count; i++) {
        const vkg_plan_barrier *b = &r->in.barriers[i];
        if (b->flags & VKG_BARRIER_DISCARD)
            poison_image(&r->res[b->resource], b->aspect, b->base_mip, b->mip_count, b->base_layer,
                         b->layer_count);
    }
}

static void sim_discards(runner *r, const vkg_plan_pass *p)
{
    discard_barriers(r, p->first_barrier, p->barrier_count);
    for (uint32_t we = 0; we < p->wait_event_count; we++) {
        const vkg_plan_event *e = &r->in.events[r->in.wait_events[p->first_wait_event + we]];
        discard_barriers(r, e->first_barrier, e->barrier_count);
    }
    /* host writes: run does not write from the host, so the contents become unknown */
    for (uint32_t i = 0; i < p->use_count; i++) {
        const vkg_plan_use *u = &r->in.uses[p->first_use + i];
        rres *R = &r->res[u->resource];
        if (u->access != VKG_ACCESS_HOST_WRITE || !R->known) continue;
        if (R->pr->is_image) poison_image(R, u->aspect, u->base_mip, u->mip_count, u->base_layer, u->layer_count);
        else memset(R->known + u->offset, 0, u->size);
    }
}

/* Indirect arguments: they must be known (run never submits a draw or dispatch of unknown
 * size), and they mark the slots the draw's vertices and instances (or the dispatch's
 * group counts) reach. */
static vkg_result sim_indirect(runner *r, const vkg_plan_pass *p, const rop *o, const rres *R, uint32_t *sl,
                               uint32_t tag)
{
    bool unk = false;
    uint32_t a[4];
    for (uint32_t e = 0; e < o->size / 4; e++) a[e] = mword(R, o->off + 4ull * e, &unk);
    const char *pn = p->name, *rn = R->pr->name;
    if (unk)
        return vkgr__fail(r, VKG_ERROR_INVALID_ARGUMENT,
                    "pass \"%s\" reads indirect arguments from buffer \"%s\" bytes [%" PRIu64
                    ", %" PRIu64 ") that nothing defined: run will not submit a draw or "
                    "dispatch of unknown size",
                    pn, rn, (uint64_t)o->off, (uint64_t)(o->off + o->size));
    for (uint32_t e = 0; e < o->size / 4; e++)
        if (a[e] < 1 || a[e] > 64)
            return vkgr__fail(r, VKG_ERROR_INVALID_ARGUMENT,
                        "pass \"%s\": indirect argument %u of buffer \"%s\" is %u (run "
                        "keeps them in [3, 8]; internal error)", pn, e, rn, a[e]);
    if (o->kind == K_DISPIND) {
        sl[0] = a[0], sl[1] = a[1], sl[2] = a[2];
    } else {
        for (uint32_t v = a[2]; v < a[2] + a[0]; v++) sl[v & 31u] = tag;
        for (uint32_t j = a[3]; j < a[3] + a[1]; j++) sl[32u + (j & 31u)] = tag;
    }
    return VKG_SUCCESS;
}

/* A read op: what the kernel folds into its slots (*unk: it read something unknown). */
static vkg_result sim_read(runner *r, const vkg_plan_pass *p, const rop *o, const rres *R, uint32_t *sl,
                           uint32_t tag, bool *unk)
{
    switch (o->kind) {
    case K_RBUF: {
        uint32_t count = (uint32_t)(o->size / 4);
        uint32_t n = count < VKGR_SAMPLE_WORDS ? count : VKGR_SAMPLE_WORDS, stride = count / n;
        for (uint32_t t = 0; t < VKGR_SLOTS; t++) {
            uint32_t h = hmix(0x9e3779b9u, t);
            for (uint32_t e = t; e < n; e += VKGR_SLOTS)
                h = hmix(h, mword(R, o->off + 4ull * e * stride, unk));
            sl[t] = vkg__hash32(h);
        }
        break;
    }
    case K_RIMG: {
        uint32_t w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip);
        for (uint32_t t = 0; t < VKGR_SLOTS; t++) {
            uint32_t hh = hmix(0x9e3779b9u, t);
            for (uint32_t e = t; e < o->layers * 64u; e += 64u) {
                uint32_t g = e & 63u, l = e >> 6;
                uint32_t x = (g & 7u) * (w - 1u) / 7u, y = (g >> 3) * (h - 1u) / 7u;
                uint64_t ti = tixp(R, o->plane, o->mip, o->layer0 + l, x, y);
                if (!R->known[ti]) *unk = true;
                hh = hmix(hh, R->val[ti]);
            }
            sl[t] = vkg__hash32(hh);
        }
        break;
    }
    case K_INDEX:
        for (uint32_t e = 0; e < o->size / 4; e++) sl[mword(R, o->off + 4ull * e, unk) & 31u] = tag;
        break;
    case K_DRAWIND:
    case K_DISPIND: return sim_indirect(r, p, o, R, sl, tag);
    case K_VERTEX:
        for (uint32_t e = 0; e < o->nslots; e++) sl[e] = mword(R, o->off + 4ull * e, unk);
        break;
    case K_TREAD:
        if (!R->pr->is_image) {
            for (uint32_t e = 0; e < o->nslots; e++) sl[e] = mword(R, o->off + 4ull * e, unk);
        } else if (o->fold) {
            for (uint32_t x = 0; x < o->size; x++) {
                uint64_t ti = tix(R, o->mip, o->layer0, x, 0);
                if (!R->known[ti]) *unk = true;
                sl[x] = R->fc == FC_UNORM8 ? R->val[ti] * 0x01010101u : R->val[ti];
            }
        }
        break;
    default: break;
    }
    return VKG_SUCCESS;
}

/* A write op: the values derived from the pass digest `d` (unknown once the pass read
 * something unknown: `poisoned`), copies, fills, patterns, resolves. */
static void sim_write(runner *r, const rop *o, rres *R, uint32_t d, bool poisoned)
{
    switch (o->kind) {
    case K_WBUF: {
        uint32_t D = hmix(d, o->salt), w0 = (uint32_t)(o->off / 4);
        for (uint32_t e = 0; e < o->size / 4; e++)
            put_word(R, o->off + 4ull * e, word_value(D, w0 + e, R->small), !poisoned);
        break;
    }
    case K_WIMG:
    case K_COLOR:
    case K_DEPTH: {
        uint32_t D = hmix(d, o->salt), w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip);
        for (uint32_t l = o->layer0; l < o->layer0 + o->layers; l++)
            for (uint32_t y = 0; y < h; y++)
                for (uint32_t x = 0; x < w; x++) {
                    uint64_t ti = tix(R, o->mip, l, x, y);
                    uint32_t v = texel_value(D, o->mip, l, x, y);
                    bool known = !poisoned;
                    if (o->rw) {
                        known = known && R->known[ti];
                        if (R->val[ti] > v) v = R->val[ti];
                    }
                    put_texel(R, ti, v, known);
                }
        if (o->rsv_res != UINT32_MAX) {
            /* the resolve: every sample of a texel holds the same value, so the average
             * (or sample 0) is that value */
            rres *T = &r->res[o->rsv_res];
            for (uint32_t y = 0; y < h; y++) {
                uint64_t st = tix(R, o->mip, o->layer0, 0, y), dt = tix(T, o->rsv_mip, o->rsv_layer, 0, y);
                memcpy(T->val + dt, R->val + st, w);
                memcpy(T->known + dt, R->known + st, w);
            }
        }
        break;
    }
    case K_STENCIL: {
        /* stencil_write replaces with the reference, stencil_read_write increments */
        uint32_t w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip), ref = stencil_ref(o->salt);
        for (uint32_t y = 0; y < h; y++)
            for (uint32_t x = 0; x < w; x++) {
                uint64_t ti = tixp(R, 1, o->mip, o->layer0, x, y);
                if (o->rw) put_texel(R, ti, (R->val[ti] + 1u) & 0xFFu, R->known[ti]);
                else put_texel(R, ti, ref, true);
            }
        break;
    }
    case K_LOADONLY:
    case K_DIGEST:
    case K_READBACK:
    case K_UPLOAD:
        break;
    case K_COPYBUF: {
        const rres *S = &r->res[o->src_res];
        memmove(R->val + o->off, S->val + o->src_off, o->size);
        memmove(R->known + o->off, S->known + o->src_off, o->size);
        break;
    }
    case K_FILL: {
        uint32_t v = R->small ? 3u + o->salt % 6u : vkg__hash32(o->salt);
        for (uint64_t e = 0; e < o->size / 4; e++) put_word(R, o->off + 4 * e, v, true);
        break;
    }
    case K_COPYIMG: {
        const rres *S = &r->res[o->src_res];
        uint32_t w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip);
        uint32_t ws = mip_w(S->pr, o->src_mip), hs = mip_h(S->pr, o->src_mip);
        if (ws < w) w = ws;
        if (hs < h) h = hs;
        for (uint32_t l = 0; l < o->layers; l++)
            for (uint32_t y = 0; y < h; y++) {
                uint64_t dt = tix(R, o->mip, o->layer0 + l, 0, y);
                uint64_t st = tix(S, o->src_mip, o->src_layer0 + l, 0, y);
                memmove(R->val + dt, S->val + st, w);
                memmove(R->known + dt, S->known + st, w);
            }
        break;
    }
    case K_PATTERN: {
        uint32_t w = mip_w(R->pr, o->mip), h = mip_h(R->pr, o->mip);
        for (uint32_t l = 0; l < o->layers; l++) {
            uint32_t start = (o->salt + 977u * l) % VKGR_PATTERN_SHIFT;
            for (uint32_t y = 0; y < h; y++)
                for (uint32_t x = 0; x < w; x++)
                    put_texel(R, tix(R, o->mip, o->layer0 + l, x, y),
                              pattern_value(start + y * w + x), true);
        }
        break;
    }
    default: break;
    }
}

/* One pass in the model: discards, then its ops in order; the digest of the reads feeds the
 * writes. */
static vkg_result sim_pass(runner *r, uint32_t k, uint32_t *slots, uint32_t tag)
{
    const rpass *rp = &r->pass[k];
    const vkg_plan_pass *p = &r->in.passes[k];
    sim_discards(r, p);
    memset(slots, 0, rp->ntotal * sizeof *slots);
    bool poisoned = false, digest_done = false;
    uint32_t d = 0;
    for (uint32_t i = 0; i < rp->op_count; i++) {
        const rop *o = &r->ops[rp->first_op + i];
        rres *R = o->res < r->nres ? &r->res[o->res] : NULL;
        if (!R) continue; /* the digest op: the model computes the digest where it is used */
        if (o->kind <= K_TREAD) {
            bool unk = false;
            vkg_result e = sim_read(r, p, o, R, slots + o->slot, tag, &unk);
            if (e != VKG_SUCCESS) return e;
            if (unk && (o->kind != K_TREAD || o->fold)) poisoned = true;
            continue;
        }
        bool derived = o->kind == K_WBUF || o->kind == K_WIMG || o->kind == K_COLOR || o->kind == K_DEPTH ||
                       o->kind == K_STENCIL; /* values from the digest of every read of the pass */
        if (derived && !digest_done) {
            d = 0x811c9dc5u;
            for (uint32_t j = 0; j < rp->nslots; j++) d = hmix(d, slot_value(slots[j], tag));
            digest_done = true;
        }
        sim_write(r, o, R, d, poisoned);
    }
    return VKG_SUCCESS;
}

void vkgr__init_imported(rres *R, uint32_t index)
{
    if (!R->pr->is_image) {
        uint32_t seed = vkg__hash32(7919u * index + 1u);
        for (uint64_t e = 0; e < R->pr->size / 4; e++)
            put_word(R, 4 * e, word_value(seed, (uint32_t)e, R->small), true);
        memset(R->known + (R->pr->size & ~3ull), 0, R->pr->size & 3u);
        return;
    }
    uint32_t seed = vkg__hash32(104729u * index + 99u);
    for (uint32_t m = 0; m < R->pr->mips; m++)
        for (uint32_t l = 0; l < R->pr->layers; l++)
            for (uint32_t y = 0; y < mip_h(R->pr, m); y++)
                for (uint32_t x = 0; x < mip_w(R->pr, m); x++)
                    put_texel(R, tix(R, m, l, x, y), texel_value(seed, m, l, x, y), true);
}

/* One frame on the model: transients start undefined, imported resources carry over, and
 * NAME@prev of a history resource holds what NAME held at the end of the previous frame
 * (from the second frame on), while NAME starts undefined. */
vkg_result vkgr__sim_frame(runner *r, uint32_t frame, uint32_t *slots)
{
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if (R->pr->history == 2 && frame > 0 && R->known) {
            const rres *cur = &r->res[R->pr->history_pair];
            uint64_t n = R->pr->is_image ? R->texels : R->pr->size;
            memcpy(R->val, cur->val, n);
            memcpy(R->known, cur->known, n);
        }
    }
    for (uint32_t i = 0; i < r->nres; i++) {
        rres *R = &r->res[i];
        if ((!R->pr->imported || R->pr->history == 1) && R->known)
            memset(R->known, 0, R->pr->is_image ? R->texels : R->pr->size);
    }
    for (uint32_t k = 0; k < r->in.pass_count; k++) {
        vkg_result e = sim_pass(r, k, slots, VKGR_TAG(frame));
        if (e != VKG_SUCCESS) return e;
    }
    return VKG_SUCCESS;
}

