/* Shared by the demo's shaders (src/demo). */
struct Object {
    vec4 pos_scale;  /* world position, uniform scale */
    vec4 axis_speed; /* spin axis, radians per second */
    vec4 tint;       /* albedo tint (linear), alpha unused */
    vec4 material;   /* texture layer, roughness, metallic, emissive strength */
    uvec4 mesh;      /* first index, index count, vertex offset, bounding radius (float bits) */
};
struct Instance {
    mat4 model;
    vec4 tint;
    vec4 material;
};
struct Draw { /* VkDrawIndexedIndirectCommand */
    uint index_count, instance_count, first_index;
    int vertex_offset;
    uint first_instance;
};
