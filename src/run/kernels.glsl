/* Deterministic kernels of `vkgraph run` (src/run/run.c). One source, many variants: the
 * build compiles it once per (stage, op) with -DSTAGE_{V,F,C,G,T} -DOP_<NAME> (CMakeLists.txt):
 * G the geometry stage, T tessellation control (T_EVAL: the evaluation shader it needs).
 *
 * Every op reads or writes exactly one user resource through exactly one descriptor (or a
 * buffer device address), so synchronization validation sees precisely the access the graph
 * declared. Reads fold what they see into the pass's scratch slots; writes derive every
 * value they store from the digest of those slots. src/run/run.c computes the same on the
 * CPU: hmix/hfin/digest below have C twins there and must stay identical. */
#version 460
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_buffer_reference_uvec2 : require

layout(buffer_reference, std430, buffer_reference_align = 4) buffer Words {
    uint w[];
};

layout(push_constant, std430) uniform PC {
    uvec2 scratch; /* this pass's scratch slots */
    uvec2 addr;    /* BDA ops: the first word of the range */
    uint slot;     /* read ops: first slot they write */
    uint nslots;   /* write ops: slots in the digest */
    uint tag;      /* this frame's tag (tag slots) */
    uint salt;     /* per op */
    uint count;    /* buffers: words in the range; images: texels of one layer */
    uint width, height, layers;
    uint mip, layer0; /* images: absolute mip and first layer (they enter the values) */
    uint small;       /* buffers read as indirect arguments: words stay in [3, 8] */
    uint sample_n;    /* buffer reads: words folded */
    uint word0;       /* buffers: absolute index of the range's first word */
    uint nthreads;    /* write ops: threads sharing the work */
} pc;

uint hmix(uint h, uint x)
{
    h ^= x;
    h *= 0x01000193u;
    h ^= h >> 15;
    return h;
}

uint hfin(uint h)
{
    h ^= h >> 16;
    h *= 0x7feb352du;
    h ^= h >> 15;
    h *= 0x846ca68bu;
    h ^= h >> 16;
    return h;
}

/* tag slots hold this frame's tag when set; anything else marked 0xA5 reads as unset */
uint slot_value(uint x)
{
    if ((x >> 24) == 0xA5u) return x == pc.tag ? 1u : 0u;
    return x;
}

/* the pass's digest op folds slots [0, nslots) into slot nslots; writers salt it */
uint fold_slots()
{
    Words s = Words(pc.scratch);
    uint d = 0x811c9dc5u;
    for (uint i = 0; i < pc.nslots; i++) d = hmix(d, slot_value(s.w[i]));
    return d;
}

uint digest()
{
    return hmix(Words(pc.scratch).w[pc.nslots], pc.salt);
}

uint word_value(uint d, uint i)
{
    uint v = hfin(hmix(d, pc.word0 + i));
    return pc.small != 0u ? 3u + v % 6u : v;
}

uint texel_value(uint d, uint layer, uint x, uint y)
{
    return hfin(hmix(hmix(hmix(hmix(d, pc.mip), layer), x), y)) & 0xFFu;
}

uint decode(vec4 t)
{
    return uint(clamp(t.x * 255.0 + 0.5, 0.0, 255.0));
}

void put_slot(uint i, uint v)
{
    Words s = Words(pc.scratch);
    s.w[pc.slot + i] = v;
}

/* ---- the resource of each op ------------------------------------------------------------ */
#if defined(OP_RBUF_SSBO)
layout(set = 0, binding = 0, std430) readonly buffer B { uint w[]; } res;
uint load_word(uint i) { return res.w[i]; }
#elif defined(OP_RBUF_UBO)
layout(set = 0, binding = 0, std140) uniform U { uvec4 v[1024]; } res;
uint load_word(uint i) { return res.v[i >> 2][i & 3u]; }
#elif defined(OP_RBUF_BDA)
uint load_word(uint i) { return Words(pc.addr).w[i]; }
#elif defined(OP_WBUF_SSBO)
layout(set = 0, binding = 0, std430) writeonly buffer B { uint w[]; } res;
void store_word(uint i, uint v) { res.w[i] = v; }
#elif defined(OP_WBUF_BDA)
void store_word(uint i, uint v) { Words(pc.addr).w[i] = v; }
#elif defined(OP_RTEX_F)
layout(set = 0, binding = 0) uniform sampler2DArray res;
uint load_texel(ivec3 p) { return decode(texelFetch(res, p, 0)); }
#elif defined(OP_RTEX_U)
layout(set = 0, binding = 0) uniform usampler2DArray res;
uint load_texel(ivec3 p) { return texelFetch(res, p, 0).x; }
#elif defined(OP_RIMG_RGBA8)
layout(set = 0, binding = 0, rgba8) readonly uniform image2DArray res;
uint load_texel(ivec3 p) { return decode(imageLoad(res, p)); }
#elif defined(OP_RIMG_RGBA16F)
layout(set = 0, binding = 0, rgba16f) readonly uniform image2DArray res;
uint load_texel(ivec3 p) { return decode(imageLoad(res, p)); }
#elif defined(OP_RIMG_R32F)
layout(set = 0, binding = 0, r32f) readonly uniform image2DArray res;
uint load_texel(ivec3 p) { return decode(imageLoad(res, p)); }
#elif defined(OP_RIMG_R32UI)
layout(set = 0, binding = 0, r32ui) readonly uniform uimage2DArray res;
uint load_texel(ivec3 p) { return imageLoad(res, p).x; }
#elif defined(OP_WIMG_F)
layout(set = 0, binding = 0) writeonly uniform image2DArray res;
void store_texel(ivec3 p, uint v) { imageStore(res, p, vec4(float(v) / 255.0)); }
#elif defined(OP_WIMG_U)
layout(set = 0, binding = 0) writeonly uniform uimage2DArray res;
void store_texel(ivec3 p, uint v) { imageStore(res, p, uvec4(v)); }
#endif

#if defined(OP_RBUF_SSBO) || defined(OP_RBUF_UBO) || defined(OP_RBUF_BDA)
#define OP_READ_BUFFER 1
#elif defined(OP_RTEX_F) || defined(OP_RTEX_U) || defined(OP_RIMG_RGBA8) ||                 \
    defined(OP_RIMG_RGBA16F) || defined(OP_RIMG_R32F) || defined(OP_RIMG_R32UI)
#define OP_READ_IMAGE 1
#elif defined(OP_WBUF_SSBO) || defined(OP_WBUF_BDA)
#define OP_WRITE_BUFFER 1
#elif defined(OP_WIMG_F) || defined(OP_WIMG_U)
#define OP_WRITE_IMAGE 1
#endif

/* ---- the generic body: `tid` of `nthreads` threads ---------------------------------------- */
void run_op(uint tid, uint nthreads)
{
#if defined(OP_READ_BUFFER)
    /* 64 threads; thread t folds words t, t + 64, ... of the sampled ones into slot t */
    uint stride = pc.count / pc.sample_n;
    uint h = hmix(0x9e3779b9u, tid);
    for (uint e = tid; e < pc.sample_n; e += 64u) h = hmix(h, load_word(e * stride));
    put_slot(tid, hfin(h));
#elif defined(OP_READ_IMAGE)
    /* an 8 x 8 grid per layer, corners included */
    uint h = hmix(0x9e3779b9u, tid);
    for (uint e = tid; e < pc.layers * 64u; e += 64u) {
        uint g = e & 63u, l = e >> 6;
        uint x = (g & 7u) * (pc.width - 1u) / 7u, y = (g >> 3) * (pc.height - 1u) / 7u;
        h = hmix(h, load_texel(ivec3(x, y, l)));
    }
    put_slot(tid, hfin(h));
#elif defined(OP_WRITE_BUFFER)
    uint d = digest();
    for (uint i = tid; i < pc.count; i += nthreads) store_word(i, word_value(d, i));
#elif defined(OP_WRITE_IMAGE)
    uint d = digest();
    uint total = pc.count * pc.layers;
    for (uint e = tid; e < total; e += nthreads) {
        uint l = e / pc.count, t = e % pc.count;
        uint x = t % pc.width, y = t / pc.width;
        store_texel(ivec3(x, y, l), texel_value(d, pc.layer0 + l, x, y));
    }
#endif
}

/* ---- stages ------------------------------------------------------------------------------ */
#if defined(STAGE_C)
#if defined(OP_DIGEST)
layout(local_size_x = 1) in;
void main()
{
    Words(pc.scratch).w[pc.nslots] = fold_slots();
}
#elif defined(OP_DISPATCH_INDIRECT)
layout(local_size_x = 1) in;
void main()
{
    /* the indirect arguments reach the shader as the workgroup count */
    if (gl_WorkGroupID == uvec3(0)) {
        put_slot(0, gl_NumWorkGroups.x);
        put_slot(1, gl_NumWorkGroups.y);
        put_slot(2, gl_NumWorkGroups.z);
    }
}
#else
layout(local_size_x = 64) in;
void main()
{
    run_op(gl_GlobalInvocationID.x, gl_NumWorkGroups.x * 64u);
}
#endif

#elif defined(STAGE_V)
#if defined(OP_FULLSCREEN)
void main()
{
    vec2 p = vec2(float((gl_VertexIndex << 1) & 2), float(gl_VertexIndex & 2));
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
#elif defined(OP_INDEX) || defined(OP_DRAW_INDIRECT)
/* points, rasterizer discard: each vertex marks its index (and instance) with the tag */
void main()
{
    put_slot(uint(gl_VertexIndex) & 31u, pc.tag);
#if defined(OP_DRAW_INDIRECT)
    put_slot(32u + (uint(gl_InstanceIndex) & 31u), pc.tag);
#endif
    gl_PointSize = 1.0;
    gl_Position = vec4(0.0, 0.0, 0.0, 1.0);
}
#elif defined(OP_VERTEX)
layout(location = 0) in uint attr;
void main()
{
    put_slot(uint(gl_VertexIndex), attr);
    gl_PointSize = 1.0;
    gl_Position = vec4(0.0, 0.0, 0.0, 1.0);
}
#else
/* 64 points, rasterizer discard */
void main()
{
    run_op(uint(gl_VertexIndex), 64u);
    gl_PointSize = 1.0;
    gl_Position = vec4(0.0, 0.0, 0.0, 1.0);
}
#endif

#elif defined(STAGE_G)
/* one input point per op thread; nothing emitted (the rasterizer is off) */
layout(points) in;
layout(points, max_vertices = 1) out;
void main()
{
    run_op(uint(gl_PrimitiveIDIn), 64u);
}

#elif defined(STAGE_T)
#if defined(OP_EVAL)
layout(triangles) in;
void main()
{
    gl_Position = vec4(0.0, 0.0, 0.0, 1.0);
}
#else
/* one patch of one control point per op thread; tessellation levels 0 cull the patch, so
 * the evaluation shader never runs */
layout(vertices = 1) out;
void main()
{
    run_op(uint(gl_PrimitiveID), 64u);
    gl_TessLevelOuter[0] = 0.0;
    gl_TessLevelOuter[1] = 0.0;
    gl_TessLevelOuter[2] = 0.0;
    gl_TessLevelOuter[3] = 0.0;
    gl_TessLevelInner[0] = 0.0;
    gl_TessLevelInner[1] = 0.0;
    gl_out[gl_InvocationID].gl_Position = vec4(0.0, 0.0, 0.0, 1.0);
}
#endif

#elif defined(STAGE_F)
#if defined(OP_ATTACH_F) || defined(OP_ATTACH_U) || defined(OP_ATTACH_DEPTH)
#if defined(OP_ATTACH_F)
layout(location = 0) out vec4 color;
#elif defined(OP_ATTACH_U)
layout(location = 0) out uvec4 color;
#endif
void main()
{
    uint v = texel_value(digest(), pc.layer0, uint(gl_FragCoord.x), uint(gl_FragCoord.y));
#if defined(OP_ATTACH_F)
    color = vec4(float(v) / 255.0);
#elif defined(OP_ATTACH_U)
    color = uvec4(v);
#else
    gl_FragDepth = float(v) / 255.0;
#endif
}
#else
/* an 8 x 8 render area: 64 fragments */
void main()
{
    run_op(uint(gl_FragCoord.y) * 8u + uint(gl_FragCoord.x), 64u);
}
#endif
#endif
