/* The chart layer (shapes/chart.c): kernel density against a closed form,
 * histogram against counting, and figures checked by their pixels (markers
 * and intervals where the data put them, reference lines, white margins)
 * and by the elements of the SVG. */
#include <cairo.h>
#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#include <unistd.h>
#include "check.h"
#include "shapes/chart.h"

/* Under AddressSanitizer: full stack unwinding at allocations, so the
 * cairo suppression in tests/lsan.supp (a buffer cairo keeps while
 * finishing SVG documents) can match; unused in other builds. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "fast_unwind_on_malloc=0"; }

static int dark_at(cairo_surface_t *s, double x, double y, int r)
{
  int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
  int stride = cairo_image_surface_get_stride(s);
  unsigned char *d = cairo_image_surface_get_data(s);
  for (int yy = (int)y - r; yy <= (int)y + r; yy++)
    for (int xx = (int)x - r; xx <= (int)x + r; xx++) {
      unsigned int p;
      if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
      p = *(unsigned int *)(d + yy * stride + 4 * xx);
      if (((p >> 16) & 255) < 120 && ((p >> 8) & 255) < 120 && (p & 255) < 120) return 1;
    }
  return 0;
}

static int white_at(cairo_surface_t *s, double x, double y)
{
  int stride = cairo_image_surface_get_stride(s);
  unsigned char *d = cairo_image_surface_get_data(s);
  unsigned int p = *(unsigned int *)(d + (int)y * stride + 4 * (int)x);
  return (p & 0xffffff) == 0xffffff;
}

static size_t count_substr(const char *path, const char *needle)
{
  FILE *f = fopen(path, "rb");
  size_t n = 0, len = strlen(needle), cap = 1 << 22, got;
  char *buf = malloc(cap + 1), *p;
  if (!f || !buf) {
    if (f) fclose(f);
    free(buf);
    return 0;
  }
  got = fread(buf, 1, cap, f);
  fclose(f);
  buf[got] = 0;
  for (p = buf; (p = strstr(p, needle)); p += len) n++;
  free(buf);
  return n;
}

static void test_kde(void)
{
  /* two points at 0 and 1, bandwidth 0.5: f(x) = (phi((x)/h) + phi((x-1)/h)) / (2h) */
  double x[2] = {0, 1}, g[3] = {0, 0.5, 2}, f[3];
  double bw = spill__kde(x, 2, g, 3, 0.5, f);
  CHECK_REL(bw, 0.5, 0);
  for (int j = 0; j < 3; j++) {
    double a = g[j] / 0.5, b = (g[j] - 1) / 0.5;
    double want = (exp(-0.5 * a * a) + exp(-0.5 * b * b)) / (2 * 0.5 * sqrt(2 * M_PI));
    CHECK_REL(f[j], want, 1e-14);
  }
  /* Silverman's rule on 0..99: sd = 29.0115, IQR/1.34 = 74/1.34 > sd */
  {
    double v[100], gg[1] = {50}, ff[1], sd = 0, m = 49.5;
    for (int i = 0; i < 100; i++) v[i] = i;
    for (int i = 0; i < 100; i++) sd += (v[i] - m) * (v[i] - m);
    sd = sqrt(sd / 99);
    bw = spill__kde(v, 100, gg, 1, 0, ff);
    CHECK_REL(bw, 0.9 * sd * pow(100, -0.2), 1e-14);
  }
  {
    double v[10] = {0.05, 0.15, 0.15, 0.35, 0.55, 0.65, 0.75, 0.95, 0.99, 1.0}, c[4], h[4];
    double w = spill__histogram(v, 10, 0, 1, 4, c, h);
    CHECK_REL(w, 0.25, 1e-15);
    CHECK_REL(h[0], 3 / (10 * 0.25), 1e-15);
    CHECK_REL(h[1], 1 / (10 * 0.25), 1e-15);
    CHECK_REL(h[2], 2 / (10 * 0.25), 1e-15);
    CHECK_REL(h[3], 4 / (10 * 0.25), 1e-15);
    CHECK_REL(c[3], 0.875, 1e-15);
  }
}

static void test_event_figure(const char *dir)
{
  spill_ctx *ctx = spill_ctx_new();
  spill__chart c;
  spill__chart_stats st;
  spill__series *s;
  double x[7] = {-3, -2, -1, 0, 1, 2, 3}, y[7] = {0.01, -0.02, 0, 0.1, 0.2, 0.3, 0.4};
  double lo[7], hi[7];
  char png[512], svg[512], pdf[512];
  cairo_surface_t *img;
  for (int i = 0; i < 7; i++) {
    lo[i] = y[i] - 0.08;
    hi[i] = y[i] + 0.08;
  }
  snprintf(png, sizeof png, "%s/event.png", dir);
  snprintf(svg, sizeof svg, "%s/event.svg", dir);
  snprintf(pdf, sizeof pdf, "%s/event.pdf", dir);
  spill__chart_init(&c);
  c.title = "Event study \xE4\xBA\x8B\xE4\xBB\xB6\xE7\xA0\x94\xE7\xA9\xB6"; /* CJK in the title */
  c.panel[0].xlabel = "Years relative to adoption";
  c.panel[0].ylabel = "Coefficient";
  c.panel[0].integer_x = 1;
  c.panel[0].legend = SPILL__LEGEND_TOPLEFT;
  s = spill__chart_add(&c.panel[0], SPILL__SERIES_POINTS, 7, x, y, "estimate");
  s->lo = lo;
  s->hi = hi;
  spill__chart_ref(&c.panel[0], 0, 0, 1);
  spill__chart_ref(&c.panel[0], 1, -0.5, 1);
  CHECK_EQ_INT(spill__chart_draw(ctx, &c, png, &st), 0);
  CHECK_EQ_INT(st.markers, 7);
  CHECK_EQ_INT(st.intervals, 7);
  CHECK_EQ_INT(st.refs, 2);
  CHECK_EQ_INT(st.legend_entries, 1);
  img = cairo_image_surface_create_from_png(png);
  CHECK(cairo_surface_status(img) == CAIRO_STATUS_SUCCESS);
  if (cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) {
    CHECK_EQ_INT(cairo_image_surface_get_width(img), st.width);
    for (int i = 0; i < 7; i++) {
      double ix = st.ax[0] + st.bx[0] * x[i];
      CHECK_MSG(dark_at(img, ix, st.ay[0] + st.by[0] * y[i], 2), "marker %d", i);
      /* interval ends: the caps */
      CHECK_MSG(dark_at(img, ix + 2, st.ay[0] + st.by[0] * hi[i], 1), "cap %d", i);
      /* well beyond the interval, nothing but background or grid */
      CHECK_MSG(!dark_at(img, ix, st.ay[0] + st.by[0] * (hi[i] + 0.05), 0), "above %d", i);
    }
    /* the zero line is grey (not white) midway between markers */
    {
      double ix = st.ax[0] + st.bx[0] * 2.5, iy = st.ay[0];
      CHECK(!white_at(img, ix, iy));
    }
    /* the corner margin is white */
    CHECK(white_at(img, 2, st.height - 2));
    cairo_surface_destroy(img);
  }
  CHECK_EQ_INT(spill__chart_draw(ctx, &c, svg, &st), 0);
  /* 7 markers are arcs: each becomes one path element in cairo's SVG */
  CHECK(count_substr(svg, "<path") >= 7 + 7 + 2);
  CHECK_EQ_INT(spill__chart_draw(ctx, &c, pdf, NULL), 0);
  CHECK(access(pdf, R_OK) == 0);
  /* a bad extension is an error and leaves nothing */
  {
    char bad[512];
    snprintf(bad, sizeof bad, "%s/event.gif", dir);
    CHECK(spill__chart_draw(ctx, &c, bad, NULL) != 0);
    CHECK(access(bad, F_OK) != 0);
    CHECK(strstr(spill_ctx_error(ctx), ".png") != NULL);
  }
  spill_ctx_free(ctx);
}

static void test_panels_and_density(const char *dir)
{
  spill_ctx *ctx = spill_ctx_new();
  spill__chart c;
  spill__chart_stats st;
  double v[200], g[64], f[64], bc[12], bh[12], bw, px[3] = {0.1, 0.2, 0.3}, py[3] = {1, 2, 3};
  char png[512];
  unsigned int seed = 7;
  for (int i = 0; i < 200; i++) {
    double u1 = (rand_r(&seed) + 1.0) / (RAND_MAX + 2.0), u2 = (rand_r(&seed) + 1.0) / (RAND_MAX + 2.0);
    v[i] = sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
  }
  for (int j = 0; j < 64; j++) g[j] = -4 + 8.0 * j / 63;
  spill__kde(v, 200, g, 64, 0, f);
  bw = spill__histogram(v, 200, -4, 4, 12, bc, bh);
  spill__chart_init(&c);
  c.npanels = 3;
  c.panel_width = 400;
  for (int p = 0; p < 3; p++) {
    spill__series *s = spill__chart_add(&c.panel[p], SPILL__SERIES_BARS, 12, bc, bh, NULL);
    s->bar_width = bw;
    spill__chart_add(&c.panel[p], SPILL__SERIES_LINE, 64, g, f, "density");
    s = spill__chart_add(&c.panel[p], SPILL__SERIES_POINTS, 3, px, py, "p-value");
    s->y2 = 1;
    s->marker = SPILL__MARK_TRIANGLE;
    s->hollow = 1;
    c.panel[p].y2label = "p-value";
    spill__chart_ref(&c.panel[p], 1, 1.5, 0)->label = "real";
  }
  c.panel[0].title = "Direct";
  c.panel[1].title = "Indirect";
  c.panel[2].title = "Total";
  snprintf(png, sizeof png, "%s/panels.png", dir);
  CHECK_EQ_INT(spill__chart_draw(ctx, &c, png, &st), 0);
  CHECK_EQ_INT(st.bars, 36);
  CHECK_EQ_INT(st.lines, 3);
  CHECK_EQ_INT(st.markers, 9);
  CHECK_EQ_INT(st.refs, 3);
  CHECK_EQ_INT(st.width, 1200);
  CHECK(st.box[1][0] > st.box[0][2] && st.box[2][0] > st.box[1][2]);
  {
    cairo_surface_t *img = cairo_image_surface_create_from_png(png);
    /* the real-estimate line is drawn in each panel */
    for (int p = 0; p < 3; p++) {
      double ix = st.ax[p] + st.bx[p] * 1.5, iy = 0.5 * (st.box[p][1] + st.box[p][3]);
      CHECK(!white_at(img, ix, iy));
    }
    cairo_surface_destroy(img);
  }
  spill_ctx_free(ctx);
}

int main(void)
{
  const char *dir = check_tmpdir();
  test_kde();
  test_event_figure(dir);
  test_panels_and_density(dir);
  cairo_debug_reset_static_data(); /* cairo's font and pattern caches, so LeakSanitizer sees only ours */
  return check_done("chart");
}
