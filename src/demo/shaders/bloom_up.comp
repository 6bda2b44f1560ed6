#version 450
/* One step up the bloom chain: adds a tent-filtered upsample of the level below. */
layout(local_size_x = 8, local_size_y = 8) in;
layout(set = 0, binding = 0) uniform sampler2D src;
layout(set = 0, binding = 1, rgba16f) uniform image2D dst;

void main()
{
    ivec2 size = imageSize(dst);
    ivec2 px = ivec2(gl_GlobalInvocationID.xy);
    if (px.x >= size.x || px.y >= size.y) return;
    vec2 uv = (vec2(px) + 0.5) / vec2(size);
    vec2 t = 1.0 / vec2(textureSize(src, 0));
    vec3 c = textureLod(src, uv, 0.0).rgb * 4.0;
    c += (textureLod(src, uv + vec2(t.x, 0), 0.0).rgb + textureLod(src, uv - vec2(t.x, 0), 0.0).rgb +
          textureLod(src, uv + vec2(0, t.y), 0.0).rgb + textureLod(src, uv - vec2(0, t.y), 0.0).rgb) * 2.0;
    c += textureLod(src, uv + t, 0.0).rgb + textureLod(src, uv - t, 0.0).rgb +
         textureLod(src, uv + vec2(t.x, -t.y), 0.0).rgb + textureLod(src, uv + vec2(-t.x, t.y), 0.0).rgb;
    imageStore(dst, px, vec4(imageLoad(dst, px).rgb + c / 16.0, 1.0));
}
