#version 450
/* HDR + bloom -> display: exposure, ACES filmic fit, sRGB encoding unless the target
 * format encodes by itself. */
layout(location = 0) in vec2 in_uv;
layout(set = 0, binding = 0) uniform sampler2D hdr_tex;
layout(set = 0, binding = 1) uniform sampler2D bloom_tex;
layout(push_constant) uniform PC { float exposure; float bloom; uint encode_srgb; } pc;
layout(location = 0) out vec4 out_color;

vec3 aces(vec3 x) { return clamp((x * (2.51 * x + 0.03)) / (x * (2.43 * x + 0.59) + 0.14), 0.0, 1.0); }

void main()
{
    vec3 c = textureLod(hdr_tex, in_uv, 0.0).rgb + textureLod(bloom_tex, in_uv, 0.0).rgb * pc.bloom;
    c = aces(c * pc.exposure);
    if (pc.encode_srgb != 0u)
        c = mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(0.0031308, c));
    out_color = vec4(c, 1.0);
}
