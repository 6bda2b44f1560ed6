/* demo_compare A.png B.png: the demo frames of two devices agree (PSNR over RGB of at least
 * --min-psnr dB, 30 by default) and neither is trivial (at least 2000 distinct colours and a
 * luma standard deviation of at least 25 out of 255). Prints the figures; exit 0 when all
 * hold, 1 when one fails, 2 on unreadable input. */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct img {
    png_image png;
    unsigned char *rgba;
} img;

static int load(const char *path, img *out)
{
    memset(out, 0, sizeof *out);
    out->png.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&out->png, path)) {
        fprintf(stderr, "demo_compare: %s: %s\n", path, out->png.message);
        return 2;
    }
    out->png.format = PNG_FORMAT_RGBA;
    out->rgba = malloc(PNG_IMAGE_SIZE(out->png));
    if (!out->rgba || !png_image_finish_read(&out->png, NULL, out->rgba, 0, NULL)) {
        fprintf(stderr, "demo_compare: %s: %s\n", path, out->rgba ? out->png.message : "out of memory");
        return 2;
    }
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return x < y ? -1 : x > y;
}

/* distinct RGB colours, and the standard deviation of luma */
static void stats(const img *m, unsigned *distinct, double *luma_sd)
{
    size_t n = (size_t)m->png.width * m->png.height;
    unsigned *c = malloc(n * sizeof *c);
    double sum = 0, sum2 = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = m->rgba + 4 * i;
        if (c) c[i] = (unsigned)p[0] << 16 | (unsigned)p[1] << 8 | p[2];
        double y = 0.2126 * p[0] + 0.7152 * p[1] + 0.0722 * p[2];
        sum += y;
        sum2 += y * y;
    }
    *distinct = 0;
    if (c) {
        qsort(c, n, sizeof *c, cmp_u32);
        for (size_t i = 0; i < n; i++) *distinct += i == 0 || c[i] != c[i - 1];
        free(c);
    }
    double mean = sum / (double)n;
    *luma_sd = sqrt(fmax(0.0, sum2 / (double)n - mean * mean));
}

int main(int argc, char **argv)
{
    double min_psnr = 30.0;
    if (argc == 5 && strcmp(argv[3], "--min-psnr") == 0) min_psnr = atof(argv[4]);
    else if (argc != 3) {
        fprintf(stderr, "usage: demo_compare A.png B.png [--min-psnr DB]\n");
        return 2;
    }
    img a, b;
    if (load(argv[1], &a) || load(argv[2], &b)) return 2;
    if (a.png.width != b.png.width || a.png.height != b.png.height) {
        fprintf(stderr, "demo_compare: sizes differ: %ux%u and %ux%u\n", a.png.width, a.png.height,
                b.png.width, b.png.height);
        return 1;
    }
    size_t n = (size_t)a.png.width * a.png.height;
    double se = 0;
    for (size_t i = 0; i < n; i++)
        for (int ch = 0; ch < 3; ch++) {
            double d = (double)a.rgba[4 * i + ch] - (double)b.rgba[4 * i + ch];
            se += d * d;
        }
    double mse = se / (double)(3 * n);
    double psnr = mse > 0 ? 10.0 * log10(255.0 * 255.0 / mse) : INFINITY;
    int fail = psnr < min_psnr;
    printf("PSNR %.2f dB (need >= %.1f)\n", psnr, min_psnr);
    const img *m[2] = {&a, &b};
    for (int k = 0; k < 2; k++) {
        unsigned distinct;
        double sd;
        stats(m[k], &distinct, &sd);
        int bad = distinct < 2000 || sd < 25.0;
        printf("%s: %u distinct colours (need >= 2000), luma standard deviation %.1f (need >= 25)%s\n",
               argv[1 + k], distinct, sd, bad ? ": TRIVIAL" : "");
        fail |= bad;
    }
    free(a.rgba);
    free(b.rgba);
    printf("%s\n", fail ? "demo_compare: FAILED" : "demo_compare: ok");
    return fail;
}
