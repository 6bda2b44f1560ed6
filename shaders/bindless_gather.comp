#version 460
// test_bindless: every invocation reads a sampled image picked by a table (non-uniform
// across the subgroup) through a sampler picked by its index, and writes what it read to a
// buffer (device address) and to one of the storage images of the heap.
#extension GL_EXT_nonuniform_qualifier : require
#extension GL_EXT_buffer_reference : require
#extension GL_EXT_samplerless_texture_functions : require

layout(local_size_x = 64) in;

layout(set = 0, binding = 0) uniform utexture2D textures[];
layout(set = 0, binding = 1, r32ui) uniform writeonly uimage2D images[];
layout(set = 0, binding = 2) uniform sampler samplers[];

layout(buffer_reference, std430) readonly buffer Table { uint v[]; };
layout(buffer_reference, std430) writeonly buffer Out { uint v[]; };

layout(push_constant) uniform Push {
    Table table;   // [count] texture slots, [storage_count] image slots, [sampler_count] samplers
    Out out_values;
    uint count;
    uint storage_count;
    uint sampler_count;
} pc;

void main()
{
    uint i = gl_GlobalInvocationID.x;
    if (i >= pc.count) return;
    uint slot = pc.table.v[i];
    uint image_slot = pc.table.v[pc.count + i % pc.storage_count];
    uint sampler_slot = pc.table.v[pc.count + pc.storage_count + i % pc.sampler_count];
    uint v = textureLod(usampler2D(textures[nonuniformEXT(slot)], samplers[nonuniformEXT(sampler_slot)]),
                        vec2(0.5), 0.0).x;
    pc.out_values.v[i] = v;
    imageStore(images[nonuniformEXT(image_slot)], ivec2(i / pc.storage_count, 0), uvec4(v ^ 0xA5A5A5A5u));
}
