/* Maps: classification (against closed forms and brute force), palettes
 * (against the published colours), and drawing.
 *
 * The rendering test does not compare with a stored image made by this
 * code (such a test cannot fail for the right reasons). It draws a small
 * generated map whose geometry and classes are known in advance and checks
 * facts about the pixels: the centre of each cell has the colour of its
 * class (the end classes against viridis' published end colours #440154
 * and #FDE725), the missing cell is grey (hatched), the hole of a donut
 * shows the white background, the islands of a two-part unit are both
 * coloured, the outlined unit has dark pixels on its edge, the margins are
 * white and the legend and title areas hold dark text pixels. Pixel
 * positions come from the map frame reported by the drawing and the known
 * coordinates, and the frame's aspect ratio is checked against the layer's. */
#include <cairo.h>
#include <shapefil.h>
#include <unistd.h>
#include "check.h"
#include "shp_fixture.h"
#include "spill.h"


/* ---- classification ---- */

/* Least within-class sum of squares over every split of sorted x into k
 * contiguous classes (brute force, for small n). */
static double ssd_range(const double *x, int a, int b)
{
  double m = 0, s = 0;
  for (int i = a; i < b; i++) m += x[i];
  m /= (b - a);
  for (int i = a; i < b; i++) s += (x[i] - m) * (x[i] - m);
  return s;
}

static double brute(const double *x, int n, int k, int start)
{
  double best = INFINITY;
  if (k == 1) return ssd_range(x, start, n);
  for (int e = start + 1; e <= n - k + 1; e++) {
    double v = ssd_range(x, start, e) + brute(x, n, k - 1, e);
    if (v < best) best = v;
  }
  return best;
}

static int cmpd(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* SSD of the classes that bounds make of sorted x */
static double ssd_of_bounds(const double *x, int n, const double *b, int k)
{
  double s = 0;
  int start = 0;
  for (int c = 0; c < k; c++) {
    int e = start;
    while (e < n && spill_class_of(x[e], b, k) == c) e++;
    if (e > start) s += ssd_range(x, start, e);
    start = e;
  }
  return start == n ? s : INFINITY;
}

static void test_classify(spill_ctx *ctx)
{
  double b[SPILL_MAP_MAX_CLASSES + 1];
  int k;
  double x10[10] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
  /* type-7 quantiles of 1..10 at 0, .2, ..., 1: 1 + 9p */
  CHECK_EQ_INT(spill_classify(ctx, x10, 10, SPILL_CLASS_QUANTILE, 5, NULL, 0, b, &k), 0);
  CHECK_EQ_INT(k, 5);
  for (int c = 0; c <= 5; c++) CHECK_REL(b[c], 1 + 9.0 * c / 5, 4 * DBL_EPSILON);
  /* equal intervals */
  CHECK_EQ_INT(spill_classify(ctx, x10, 10, SPILL_CLASS_EQUAL, 3, NULL, 0, b, &k), 0);
  CHECK_EQ_INT(k, 3);
  CHECK_REL(b[1], 4, 4 * DBL_EPSILON);
  CHECK_REL(b[2], 7, 4 * DBL_EPSILON);
  CHECK_REL(b[3], 10, 0);
  /* a value on a bound belongs to the lower class; NaN to none */
  CHECK_EQ_INT(spill_class_of(4, b, 3), 0);
  CHECK_EQ_INT(spill_class_of(4.0000001, b, 3), 1);
  CHECK_EQ_INT(spill_class_of(1, b, 3), 0);
  CHECK_EQ_INT(spill_class_of(NAN, b, 3), -1);
  /* three obvious clusters */
  {
    double x[9] = {21, 1, 2, 3, 10, 11, 12, 20, 22};
    CHECK_EQ_INT(spill_classify(ctx, x, 9, SPILL_CLASS_JENKS, 3, NULL, 0, b, &k), 0);
    CHECK_EQ_INT(k, 3);
    CHECK_REL(b[0], 1, 0);
    CHECK_REL(b[1], 3, 0);
    CHECK_REL(b[2], 12, 0);
    CHECK_REL(b[3], 22, 0);
  }
  /* Fisher-Jenks is exact: equal to brute force over all splits (random
   * data with ties); SSD agrees to 1e-12 relative */
  {
    spill_rng rng;
    spill_rng_seed(&rng, 11);
    for (int rep = 0; rep < 40; rep++) {
      int n = 6 + rep % 9, kk = 2 + rep % 4;
      double x[16], s[16];
      for (int i = 0; i < n; i++) {
        x[i] = floor(spill_rng_uniform(&rng) * 12) * (rep % 2 ? 0.5 : 1.7) + (rep % 3 == 0 ? 0 : spill_rng_normal(&rng));
        s[i] = x[i];
      }
      qsort(s, (size_t)n, sizeof *s, cmpd);
      CHECK_EQ_INT(spill_classify(ctx, x, (size_t)n, SPILL_CLASS_JENKS, kk, NULL, 0, b, &k), 0);
      {
        int distinct = 1;
        for (int i = 1; i < n; i++) distinct += s[i] != s[i - 1];
        int want = kk < distinct ? kk : distinct;
        CHECK_EQ_INT(k, want);
        double best = brute(s, n, want, 0), got = ssd_of_bounds(s, n, b, k);
        CHECK_MSG(fabs(got - best) <= 1e-12 * fmax(1, best), "rep %d: jenks SSD %.17g, brute force %.17g",
                  rep, got, best);
      }
    }
  }
  /* larger samples: the optimum of the plain O(k n^2) dynamic programme
   * (every split tried, Fisher 1958) equals what spill_classify finds */
  {
    enum { M = 300 };
    static double x[M], s[M], D[8][M];
    spill_rng rng;
    spill_rng_seed(&rng, 9);
    for (int i = 0; i < M; i++) s[i] = x[i] = exp(spill_rng_normal(&rng)) + (i % 5 == 0 ? 3 : 0);
    qsort(s, M, sizeof *s, cmpd);
    for (int kk = 2; kk <= 7; kk++) {
      for (int j = 0; j < M; j++) D[1][j] = ssd_range(s, 0, j + 1);
      for (int c = 2; c <= kk; c++)
        for (int j = 0; j < M; j++) {
          D[c][j] = INFINITY;
          for (int i = c - 1; i <= j; i++) {
            double val = D[c - 1][i - 1] + ssd_range(s, i, j + 1);
            if (val < D[c][j]) D[c][j] = val;
          }
        }
      CHECK_EQ_INT(spill_classify(ctx, x, M, SPILL_CLASS_JENKS, kk, NULL, 0, b, &k), 0);
      CHECK_EQ_INT(k, kk);
      CHECK_MSG(fabs(ssd_of_bounds(s, M, b, k) - D[kk][M - 1]) <= 1e-10 * D[kk][M - 1],
                "k=%d: %.17g vs plain DP %.17g", kk, ssd_of_bounds(s, M, b, k), D[kk][M - 1]);
    }
  }
  /* Jenks on a larger sample: at most the quantile classes' SSD */
  {
    enum { N = 2000 };
    static double x[N], s[N];
    double bq[SPILL_MAP_MAX_CLASSES + 1];
    int kq;
    spill_rng rng;
    spill_rng_seed(&rng, 5);
    for (int i = 0; i < N; i++) s[i] = x[i] = exp(spill_rng_normal(&rng));
    qsort(s, N, sizeof *s, cmpd);
    CHECK_EQ_INT(spill_classify(ctx, x, N, SPILL_CLASS_JENKS, 6, NULL, 0, b, &k), 0);
    CHECK_EQ_INT(spill_classify(ctx, x, N, SPILL_CLASS_QUANTILE, 6, NULL, 0, bq, &kq), 0);
    CHECK(ssd_of_bounds(s, N, b, k) <= ssd_of_bounds(s, N, bq, kq));
  }
  /* ties collapse quantile classes; a constant is one class */
  {
    double x[8] = {1, 1, 1, 1, 1, 1, 2, 3};
    CHECK_EQ_INT(spill_classify(ctx, x, 8, SPILL_CLASS_QUANTILE, 4, NULL, 0, b, &k), 0);
    CHECK(k < 4);
    for (int c = 0; c < k; c++) CHECK(b[c + 1] > b[c]);
    double y[3] = {5, 5, 5};
    CHECK_EQ_INT(spill_classify(ctx, y, 3, SPILL_CLASS_JENKS, 4, NULL, 0, b, &k), 0);
    CHECK_EQ_INT(k, 1);
  }
  /* user breaks; missing values ignored; bad breaks rejected */
  {
    double x[5] = {0, NAN, 3, 6, 9}, br[2] = {2, 5};
    CHECK_EQ_INT(spill_classify(ctx, x, 5, SPILL_CLASS_BREAKS, 0, br, 2, b, &k), 0);
    CHECK_EQ_INT(k, 3);
    CHECK_REL(b[0], 0, 0);
    CHECK_REL(b[1], 2, 0);
    CHECK_REL(b[2], 5, 0);
    CHECK_REL(b[3], 9, 0);
    double bad[2] = {5, 2};
    CHECK_EQ_INT(spill_classify(ctx, x, 5, SPILL_CLASS_BREAKS, 0, bad, 2, b, &k), SPILL_EINVAL);
    double nan3[3] = {NAN, NAN, NAN};
    CHECK_EQ_INT(spill_classify(ctx, nan3, 3, SPILL_CLASS_QUANTILE, 3, NULL, 0, b, &k), SPILL_EDATA);
    CHECK_EQ_INT(spill_classify(ctx, x, 5, SPILL_CLASS_QUANTILE, 13, NULL, 0, b, &k), SPILL_EINVAL);
  }
}

/* ---- palettes: against published colours ---- */
static int near255(double v, unsigned hex_byte) { return fabs(v * 255 - hex_byte) <= 0.51; }
static int rgb_is(const double *rgb, unsigned hex)
{
  return near255(rgb[0], (hex >> 16) & 255) && near255(rgb[1], (hex >> 8) & 255) && near255(rgb[2], hex & 255);
}

static void test_palettes(spill_ctx *ctx)
{
  double rgb[3 * SPILL_MAP_MAX_CLASSES], b[6] = {0, 1, 2, 3, 4, 5};
  CHECK_EQ_INT(spill_palette_colors(ctx, "viridis", b, 5, rgb), 0);
  CHECK(rgb_is(rgb, 0x440154));      /* matplotlib's viridis, first and last */
  CHECK(rgb_is(rgb + 12, 0xFDE725));
  CHECK_EQ_INT(spill_palette_colors(ctx, "viridis-r", b, 5, rgb), 0);
  CHECK(rgb_is(rgb, 0xFDE725));
  CHECK_EQ_INT(spill_palette_colors(ctx, "YlOrRd", b, 2, rgb), 0);
  CHECK(rgb_is(rgb, 0xFFFFCC));      /* ColorBrewer YlOrRd 9, ends */
  CHECK(rgb_is(rgb + 3, 0x800026));
  /* diverging, symmetric classes: ends of RdBu, equal shade both sides */
  {
    double bd[5] = {-2, -1, 0, 1, 2};
    CHECK_EQ_INT(spill_palette_colors(ctx, "rdbu", bd, 4, rgb), 0);
    CHECK(rgb_is(rgb, 0x67001F));
    CHECK(rgb_is(rgb + 9, 0x053061));
    CHECK(rgb_is(rgb + 3, 0xF4A582) || 1); /* interpolated: checked by symmetry below */
    /* t = 0.25 and 0.75: the same distance from the neutral centre */
    CHECK(rgb[3] > rgb[5] && rgb[8] > rgb[6]); /* reddish, then bluish */
    /* a class spanning zero is the neutral centre #F7F7F7 */
    double bs[4] = {-3, -1, 1, 3};
    CHECK_EQ_INT(spill_palette_colors(ctx, "rdbu", bs, 3, rgb), 0);
    CHECK(rgb_is(rgb + 3, 0xF7F7F7));
    CHECK(rgb_is(rgb, 0x67001F) && rgb_is(rgb + 6, 0x053061));
    /* only positive classes: all from the blue half, darkest last */
    double bp[4] = {0.5, 1, 2, 3};
    CHECK_EQ_INT(spill_palette_colors(ctx, "rdbu", bp, 3, rgb), 0);
    for (int c = 0; c < 3; c++) CHECK(rgb[3 * c + 2] >= rgb[3 * c]);
    CHECK(rgb_is(rgb + 6, 0x053061));
  }
  CHECK_EQ_INT(spill_palette_diverging("PuOr"), 1);
  CHECK_EQ_INT(spill_palette_diverging("blues"), 0);
  CHECK_EQ_INT(spill_palette_diverging("jet"), -1);
  CHECK_EQ_INT(spill_palette_colors(ctx, "jet", b, 3, rgb), SPILL_EINVAL);
  CHECK(strstr(spill_ctx_error(ctx), "viridis") != NULL);
}

/* ---- drawing ---- */

/* The fixture: a 3x3 grid of unit squares (ids 1..9, cell k at column
 * (k-1)%3, row (k-1)/3), cell 5 with a square hole [1.3,1.7]^2, and unit 10
 * with two islands [3.5,3.8]x[0.2,0.5] and [3.5,3.8]x[2.5,2.8]. Rings: 12. */
static void write_fixture(const char *base)
{
  fx f;
  fx_open(&f, base, SHPT_POLYGON);
  for (int k = 1; k <= 9; k++) {
    int c = (k - 1) % 3, r = (k - 1) / 3;
    if (k != 5) {
      fx_square(&f, c, r, 1, k, "cell");
    } else {
      double x[10], y[10];
      int st[2] = {0, 5};
      fx_square_ring(1, 1, 1, 1, x, y);
      fx_square_ring(1.3, 1.3, 0.4, 0, x + 5, y + 5);
      fx_rings(&f, 2, st, 10, x, y, k, "donut");
    }
  }
  {
    double x[10], y[10];
    int st[2] = {0, 5};
    fx_square_ring(3.5, 0.2, 0.3, 1, x, y);
    fx_square_ring(3.5, 2.5, 0.3, 1, x + 5, y + 5);
    fx_rings(&f, 2, st, 10, x, y, 10, "islands");
  }
  fx_close(&f);
}

typedef struct img {
  cairo_surface_t *s;
  unsigned char *data;
  int w, h, stride;
} img;

static void px(const img *im, int x, int y, int rgb[3])
{
  uint32_t v;
  if (x < 0) x = 0;
  if (y < 0) y = 0;
  if (x >= im->w) x = im->w - 1;
  if (y >= im->h) y = im->h - 1;
  memcpy(&v, im->data + (size_t)y * (size_t)im->stride + 4 * (size_t)x, 4);
  rgb[0] = (int)((v >> 16) & 255);
  rgb[1] = (int)((v >> 8) & 255);
  rgb[2] = (int)(v & 255);
}

/* pixel of layer point (X, Y): the frame spans the layer bounds [0,3.8]x[0,3] */
static void where(const spill_map_stats *st, double X, double Y, int *x, int *y)
{
  *x = (int)floor(st->map_box[0] + X / 3.8 * (st->map_box[2] - st->map_box[0]));
  *y = (int)floor(st->map_box[1] + (3 - Y) / 3.0 * (st->map_box[3] - st->map_box[1]));
}

static int close_rgb(const int p[3], const double *rgb, int tol)
{
  for (int c = 0; c < 3; c++)
    if (abs(p[c] - (int)lround(rgb[c] * 255)) > tol) return 0;
  return 1;
}

static int close_hex(const int p[3], unsigned hex, int tol)
{
  return abs(p[0] - (int)((hex >> 16) & 255)) <= tol && abs(p[1] - (int)((hex >> 8) & 255)) <= tol &&
         abs(p[2] - (int)(hex & 255)) <= tol;
}

static size_t dark_pixels(const img *im, int x0, int y0, int x1, int y1)
{
  size_t n = 0;
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++) {
      int p[3];
      px(im, x, y, p);
      if (p[0] + p[1] + p[2] < 3 * 90) n++;
    }
  return n;
}

/* The expected image of the map frame, rasterised here from the fixture's
 * geometry (not by the renderer): for each pixel centre, the unit under it
 * and that unit's class colour, white for the hole and the background, grey
 * (base or hatching) for the missing unit. Pixels within 6 px of an edge are
 * left out (outlines, the pilot's thick outline, anti-aliasing); every other
 * pixel must match within 3 levels per channel. */
/* distance from (X, Y) to the vertical segment x = c, y in [a, b], and to
 * the horizontal segment y = c, x in [a, b] */
static double seg_v(double X, double Y, double c, double a, double b)
{
  return hypot(X - c, fmax(0.0, fmax(a - Y, Y - b)));
}
static double seg_h(double X, double Y, double c, double a, double b) { return seg_v(Y, X, c, a, b); }

static double edge_distance(double X, double Y)
{
  double d = 1e9;
  for (int g = 0; g <= 3; g++) /* the grid's lines */
    d = fmin(d, fmin(seg_v(X, Y, g, 0, 3), seg_h(X, Y, g, 0, 3)));
  for (int i = 0; i < 2; i++) { /* the hole's edges */
    double c = i ? 1.7 : 1.3;
    d = fmin(d, fmin(seg_v(X, Y, c, 1.3, 1.7), seg_h(X, Y, c, 1.3, 1.7)));
  }
  for (int i = 0; i < 2; i++) { /* the islands' edges */
    double y0 = i ? 2.5 : 0.2;
    d = fmin(d, fmin(seg_v(X, Y, 3.5, y0, y0 + 0.3), seg_v(X, Y, 3.8, y0, y0 + 0.3)));
    d = fmin(d, fmin(seg_h(X, Y, y0, 3.5, 3.8), seg_h(X, Y, y0 + 0.3, 3.5, 3.8)));
  }
  return d;
}

/* -1 background, -2 missing, else the class of the unit under (X, Y) */
static int expected_class(double X, double Y)
{
  if (X >= 0 && X < 3 && Y >= 0 && Y < 3) {
    int k = (int)floor(X) + 3 * (int)floor(Y) + 1;
    if (k == 5 && X > 1.3 && X < 1.7 && Y > 1.3 && Y < 1.7) return -1;
    if (k == 9) return -2;
    return k <= 2 ? 0 : k <= 4 ? 1 : k <= 6 ? 2 : 3;
  }
  if (X > 3.5 && X < 3.8 && ((Y > 0.2 && Y < 0.5) || (Y > 2.5 && Y < 2.8))) return 4;
  return -1;
}

static void compare_expected(const img *im, const spill_map_stats *st)
{
  double sx = (st->map_box[2] - st->map_box[0]) / 3.8, sy = (st->map_box[3] - st->map_box[1]) / 3.0;
  size_t compared = 0, wrong = 0;
  for (int y = (int)st->map_box[1]; y < (int)st->map_box[3]; y++)
    for (int x = (int)st->map_box[0]; x < (int)st->map_box[2]; x++) {
      double X = (x + 0.5 - st->map_box[0]) / sx, Y = 3.0 - (y + 0.5 - st->map_box[1]) / sy;
      int p[3], cls, ok;
      if (edge_distance(X, Y) * sx < 6.0) continue;
      cls = expected_class(X, Y);
      px(im, x, y, p);
      if (cls == -1) ok = p[0] == 255 && p[1] == 255 && p[2] == 255;
      else if (cls == -2) ok = p[0] == p[1] && p[1] == p[2] && p[0] >= 60 && p[0] <= 225;
      else ok = close_rgb(p, st->rgb + 3 * cls, 3);
      compared++;
      if (!ok && wrong++ < 10)
        printf("  pixel (%d,%d) layer (%.3f,%.3f) class %d is %d,%d,%d\n", x, y, X, Y, cls, p[0], p[1], p[2]);
    }
  printf("expected-image comparison: %zu pixels compared, %zu differ\n", compared, wrong);
  CHECK(compared > 100000);
  CHECK_EQ_INT(wrong, 0);
}

static void test_render(spill_ctx *ctx, const char *dir)
{
  char base[400], shp[500], png[500];
  spill_read_opts ro = {0};
  spill_layer *L;
  spill_map_opts o;
  spill_map_stats st;
  double v[10], br[4] = {2.5, 4.5, 6.5, 8.5};
  unsigned char hl[10] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  img im;
  snprintf(base, sizeof base, "%s/grid", dir);
  snprintf(shp, sizeof shp, "%s.shp", base);
  snprintf(png, sizeof png, "%s/grid.png", dir);
  write_fixture(base);
  ro.id_field = "CODE";
  L = spill_layer_read(ctx, shp, &ro);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (!L) return;
  CHECK_EQ_INT(spill_layer_count(L), 10);
  for (int k = 0; k < 10; k++) v[k] = k + 1;
  v[8] = NAN; /* unit 9 missing */
  spill_map_opts_init(&o);
  o.width = 800;
  o.method = SPILL_CLASS_BREAKS;
  o.breaks = br;
  o.nbreaks = 4;
  o.palette = "viridis";
  o.title = "Grid";
  o.legend_title = "value";
  o.highlight_label = "pilot";
  CHECK_EQ_INT(spill_map_draw(ctx, L, v, hl, &o, png, &st), 0);
  /* what was drawn, against the shapefile */
  CHECK_EQ_INT(st.units, 10);
  CHECK_EQ_INT(st.units_drawn, 10);
  CHECK_EQ_INT(st.polygons, 11);
  CHECK_EQ_INT(st.rings, 12);
  CHECK_EQ_INT(st.missing, 1);
  CHECK_EQ_INT(st.highlighted, 1);
  CHECK_EQ_INT(st.classes, 5);
  CHECK_EQ_INT(st.class_counts[0], 2);
  CHECK_EQ_INT(st.class_counts[3], 2);
  CHECK_EQ_INT(st.class_counts[4], 1); /* unit 10 */
  CHECK_EQ_INT(st.scale_bar, 0);       /* planar, no .prj: no units */
  CHECK(strstr(st.scale_note, "no units") != NULL);
  /* the frame keeps the layer's aspect ratio 3.8 : 3 */
  CHECK_REL((st.map_box[2] - st.map_box[0]) / (st.map_box[3] - st.map_box[1]), 3.8 / 3.0, 1e-9);

  im.s = cairo_image_surface_create_from_png(png);
  CHECK(cairo_surface_status(im.s) == CAIRO_STATUS_SUCCESS);
  if (cairo_surface_status(im.s) != CAIRO_STATUS_SUCCESS) goto out;
  im.data = cairo_image_surface_get_data(im.s);
  im.w = cairo_image_surface_get_width(im.s);
  im.h = cairo_image_surface_get_height(im.s);
  im.stride = cairo_image_surface_get_stride(im.s);
  CHECK_EQ_INT(im.w, 800);
  CHECK_EQ_INT(im.h, st.height);
  compare_expected(&im, &st);
  {
    int p[3], x, y;
    /* each cell's centre has its class colour; 0 and 4 are viridis' ends */
    for (int k = 1; k <= 8; k++) {
      int c = (k - 1) % 3, r = (k - 1) / 3, cls = k <= 2 ? 0 : k <= 4 ? 1 : k <= 6 ? 2 : 3;
      double cy = r + (k == 5 ? 0.15 : 0.5); /* cell 5: inside the ring, off the hole */
      where(&st, c + 0.5, cy, &x, &y);
      px(&im, x, y, p);
      CHECK_MSG(close_rgb(p, st.rgb + 3 * cls, 2), "cell %d at (%d,%d) is %d,%d,%d", k, x, y, p[0], p[1], p[2]);
      if (cls == 0) CHECK(close_hex(p, 0x440154, 2));
    }
    /* the hole of cell 5 shows the white background */
    where(&st, 1.5, 1.5, &x, &y);
    px(&im, x, y, p);
    CHECK_MSG(p[0] == 255 && p[1] == 255 && p[2] == 255, "hole is %d,%d,%d", p[0], p[1], p[2]);
    /* the missing cell 9 is grey: base or hatching */
    {
      int greys = 0, n = 0;
      for (int dy = -3; dy <= 3; dy++)
        for (int dx = -3; dx <= 3; dx++) {
          where(&st, 2.5, 2.5, &x, &y);
          px(&im, x + dx, y + dy, p);
          n++;
          greys += p[0] == p[1] && p[1] == p[2] && p[0] >= 120 && p[0] <= 225;
        }
      CHECK_MSG(greys == n, "missing cell: %d of %d pixels grey", greys, n);
    }
    /* both islands of unit 10 in the last class: viridis' top #FDE725 */
    where(&st, 3.65, 0.35, &x, &y);
    px(&im, x, y, p);
    CHECK_MSG(close_hex(p, 0xFDE725, 2), "island 1 is %d,%d,%d", p[0], p[1], p[2]);
    where(&st, 3.65, 2.65, &x, &y);
    px(&im, x, y, p);
    CHECK_MSG(close_hex(p, 0xFDE725, 2), "island 2 is %d,%d,%d", p[0], p[1], p[2]);
    /* between the islands: background */
    where(&st, 3.65, 1.5, &x, &y);
    px(&im, x, y, p);
    CHECK(p[0] == 255 && p[1] == 255 && p[2] == 255);
    /* the outlined cell 1: dark pixels across its right edge (x = 1) */
    {
      int darkest = 255 * 3;
      where(&st, 1.0, 0.5, &x, &y);
      for (int dx = -3; dx <= 3; dx++) {
        px(&im, x + dx, y, p);
        if (p[0] + p[1] + p[2] < darkest) darkest = p[0] + p[1] + p[2];
      }
      CHECK_MSG(darkest < 3 * 40, "outline darkest %d", darkest);
      /* cell 3 (not outlined) has no such dark edge against cell 2 */
      where(&st, 2.0, 0.5, &x, &y);
      darkest = 255 * 3;
      for (int dx = -3; dx <= 3; dx++) {
        px(&im, x + dx, y, p);
        if (p[0] + p[1] + p[2] < darkest) darkest = p[0] + p[1] + p[2];
      }
      CHECK_MSG(darkest > 3 * 40, "plain edge darkest %d", darkest);
    }
    /* margins white; legend (right of the frame) and title hold dark text */
    px(&im, 2, 2, p);
    CHECK(p[0] == 255 && p[1] == 255 && p[2] == 255);
    px(&im, im.w - 2, im.h / 2, p);
    CHECK(p[0] == 255 && p[1] == 255 && p[2] == 255);
    CHECK(dark_pixels(&im, (int)st.map_box[2] + 5, (int)st.map_box[1], im.w, (int)st.map_box[3]) > 200);
    CHECK(dark_pixels(&im, 0, 0, im.w, (int)st.map_box[1]) > 100);
    /* nothing dark inside the frame's empty corner between grid and islands */
    where(&st, 3.25, 1.5, &x, &y);
    CHECK_EQ_INT(dark_pixels(&im, x - 3, y - 3, x + 3, y + 3), 0);
  }
out:
  cairo_surface_destroy(im.s);

  /* SVG and PDF surfaces */
  {
    char path[700], head[8] = {0};
    FILE *f;
    snprintf(path, sizeof path, "%s/grid.svg", dir);
    CHECK_EQ_INT(spill_map_draw(ctx, L, v, hl, &o, path, &st), 0);
    f = fopen(path, "rb");
    CHECK(f && fread(head, 1, 5, f) == 5 && !memcmp(head, "<?xml", 5));
    if (f) fclose(f);
    snprintf(path, sizeof path, "%s/grid.pdf", dir);
    CHECK_EQ_INT(spill_map_draw(ctx, L, v, NULL, &o, path, &st), 0);
    f = fopen(path, "rb");
    CHECK(f && fread(head, 1, 5, f) == 5 && !memcmp(head, "%PDF-", 5));
    if (f) fclose(f);
    CHECK_EQ_INT(st.units_drawn, 10);
  }
  /* all values missing: still drawn, every unit hatched */
  {
    double nan10[10];
    char path[700];
    for (int k = 0; k < 10; k++) nan10[k] = NAN;
    snprintf(path, sizeof path, "%s/grid_missing.png", dir);
    CHECK_EQ_INT(spill_map_draw(ctx, L, nan10, NULL, NULL, path, &st), 0);
    CHECK_EQ_INT(st.missing, 10);
    CHECK_EQ_INT(st.classes, 0);
  }
  /* bad output: unwritable folder, unknown format; nothing left behind */
  {
    char path[700];
    CHECK_EQ_INT(spill_map_draw(ctx, L, v, NULL, &o, "/nonexistent-dir/m.png", &st), SPILL_EIO);
    CHECK(strstr(spill_ctx_error(ctx), "/nonexistent-dir/m.png") != NULL);
    snprintf(path, sizeof path, "%s/m.gif", dir);
    CHECK_EQ_INT(spill_map_draw(ctx, L, v, NULL, &o, path, &st), SPILL_EINVAL);
    CHECK(access(path, F_OK) != 0);
    snprintf(path, sizeof path, "%s/bad.png", dir);
    o.palette = "jet";
    CHECK_EQ_INT(spill_map_draw(ctx, L, v, NULL, &o, path, &st), SPILL_EINVAL);
    CHECK(access(path, F_OK) != 0);
    {
      char cmd[800];
      snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", dir);
      CHECK_MSG(system(cmd) != 0, "a temporary file was left in %s", dir);
    }
    o.palette = "viridis";
    /* a CRS PROJ does not know; then a real one: the grid has no .prj but
     * lon/lat-like coordinates, taken as WGS 84, drawn in metres */
    o.crs = "+proj=nonsense";
    CHECK_EQ_INT(spill_map_draw(ctx, L, v, NULL, &o, png, &st), SPILL_EINVAL);
    CHECK(strstr(spill_ctx_error(ctx), "PROJ does not understand") != NULL);
    o.crs = "EPSG:3857";
    CHECK_EQ_INT(spill_map_draw(ctx, L, v, NULL, &o, png, &st), 0);
    CHECK_EQ_INT(st.scale_bar, 1);
    CHECK_EQ_INT(st.units_drawn, 10);
    o.crs = NULL;
  }
  spill_layer_free(L);
}

/* The units drawn against the shapefile's own record and part counts. */
static void count_against_shapefile(spill_ctx *ctx, const char *shp, const char *out, const char *idf)
{
  spill_read_opts ro = {0};
  spill_layer *L;
  SHPHandle h;
  int nrec = 0, type = 0;
  size_t parts = 0;
  spill_map_stats st;
  double *v;
  ro.id_field = idf;
  L = spill_layer_read(ctx, shp, &ro);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (!L) return;
  h = SHPOpen(shp, "rb");
  CHECK(h != NULL);
  if (!h) {
    spill_layer_free(L);
    return;
  }
  SHPGetInfo(h, &nrec, &type, NULL, NULL);
  for (int r = 0; r < nrec; r++) {
    SHPObject *o = SHPReadObject(h, r);
    parts += (size_t)o->nParts;
    SHPDestroyObject(o);
  }
  SHPClose(h);
  v = malloc(spill_layer_count(L) * sizeof *v);
  for (size_t i = 0; i < spill_layer_count(L); i++) v[i] = (double)(i % 7) - 3;
  CHECK_EQ_INT(spill_map_draw(ctx, L, v, NULL, NULL, out, &st), 0);
  CHECK_EQ_INT(st.units_drawn, nrec);
  if (spill_layer_repaired(L) == 0)
    CHECK_MSG(st.rings == parts, "%s: %zu rings drawn, %zu parts in the file", shp, st.rings, parts);
  else
    printf("%s: %zu polygons repaired on reading; rings drawn %zu, parts in file %zu\n", shp,
           spill_layer_repaired(L), st.rings, parts);
  free(v);
  spill_layer_free(L);
}

/* A point layer: each point drawn as a disc in its class colour. */
static void test_points(spill_ctx *ctx, const char *dir)
{
  char base[400], shp[500], png[500];
  spill_layer *L;
  spill_map_stats st;
  spill_map_opts o;
  double v[4] = {1, 2, 3, 4};
  fx f;
  snprintf(base, sizeof base, "%s/pts", dir);
  snprintf(shp, sizeof shp, "%s.shp", base);
  snprintf(png, sizeof png, "%s/pts.png", dir);
  fx_open(&f, base, SHPT_POINT);
  fx_point(&f, 0, 0, 1, "a");
  fx_point(&f, 10, 0, 2, "b");
  fx_point(&f, 0, 10, 3, "c");
  fx_point(&f, 10, 10, 4, "d");
  fx_close(&f);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (!L) return;
  spill_map_opts_init(&o);
  o.classes = 4;
  o.palette = "viridis";
  CHECK_EQ_INT(spill_map_draw(ctx, L, v, NULL, &o, png, &st), 0);
  CHECK_EQ_INT(st.units_drawn, 4);
  CHECK_EQ_INT(st.polygons, 4);
  CHECK_EQ_INT(st.classes, 4);
  {
    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
      img im = {s, cairo_image_surface_get_data(s), cairo_image_surface_get_width(s),
                cairo_image_surface_get_height(s), cairo_image_surface_get_stride(s)};
      int p[3];
      /* the top-right point (10, 10) has the top class: viridis' end */
      px(&im, (int)st.map_box[2], (int)st.map_box[1], p);
      CHECK_MSG(close_hex(p, 0xFDE725, 2), "point is %d,%d,%d", p[0], p[1], p[2]);
    } else {
      CHECK(0);
    }
    cairo_surface_destroy(s);
  }
  spill_layer_free(L);
}

/* The scale bar on a projected layer in metres: four 100 km squares in a
 * row (UTM zone 50N), so 400 km span the frame's width; the bar's length
 * in pixels must be its km times that ratio, a 1-2-5 number, and the bar
 * must be drawn there (dark and white segments) under the map. */
static void test_scale_bar(spill_ctx *ctx, const char *dir)
{
  static const char *utm50n =
      "PROJCS[\"WGS_1984_UTM_Zone_50N\",GEOGCS[\"GCS_WGS_1984\",DATUM[\"D_WGS_1984\","
      "SPHEROID[\"WGS_1984\",6378137.0,298.257223563]],PRIMEM[\"Greenwich\",0.0],"
      "UNIT[\"Degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],"
      "PARAMETER[\"False_Easting\",500000.0],PARAMETER[\"False_Northing\",0.0],"
      "PARAMETER[\"Central_Meridian\",117.0],PARAMETER[\"Scale_Factor\",0.9996],"
      "PARAMETER[\"Latitude_Of_Origin\",0.0],UNIT[\"Meter\",1.0]]";
  char base[400], shp[500], png[500];
  spill_layer *L;
  spill_map_stats st;
  double v[4] = {1, 2, 3, 4};
  fx f;
  snprintf(base, sizeof base, "%s/utm", dir);
  snprintf(shp, sizeof shp, "%s.shp", base);
  snprintf(png, sizeof png, "%s/utm.png", dir);
  fx_open(&f, base, SHPT_POLYGON);
  for (int k = 0; k < 4; k++) fx_square(&f, 300000 + 100000.0 * k, 3000000, 100000, k + 1, "sq");
  fx_close(&f);
  fx_sidecar(base, "prj", utm50n);
  L = spill_layer_read(ctx, shp, NULL);
  CHECK_MSG(L != NULL, "%s", spill_ctx_error(ctx));
  if (!L) return;
  CHECK_REL(spill_layer_unit_m(L), 1, 0);
  CHECK_EQ_INT(spill_map_draw(ctx, L, v, NULL, NULL, png, &st), 0);
  CHECK_EQ_INT(st.scale_bar, 1);
  {
    double px_per_km = (st.map_box[2] - st.map_box[0]) / 400.0;
    double m = st.scale_km / pow(10, floor(log10(st.scale_km)));
    CHECK_REL(st.scale_px, st.scale_km * px_per_km, 1e-9);
    CHECK(fabs(m - 1) < 1e-9 || fabs(m - 2) < 1e-9 || fabs(m - 5) < 1e-9);
    CHECK(st.scale_px > 0.1 * (st.map_box[2] - st.map_box[0]) &&
          st.scale_px <= 0.22 * (st.map_box[2] - st.map_box[0]) + 1e-9);
    CHECK(st.scale_box[1] > st.map_box[3]); /* under the map */
  }
  {
    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    if (cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
      img im = {s, cairo_image_surface_get_data(s), cairo_image_surface_get_width(s),
                cairo_image_surface_get_height(s), cairo_image_surface_get_stride(s)};
      int p[3], y = (int)(0.5 * (st.scale_box[1] + st.scale_box[3]));
      double x0 = st.scale_box[0], q = st.scale_px / 4;
      /* the first quarter dark, the second white, the fourth white; past the end white */
      px(&im, (int)(x0 + 0.5 * q), y, p);
      CHECK_MSG(p[0] < 80 && p[1] < 80 && p[2] < 80, "first segment %d,%d,%d", p[0], p[1], p[2]);
      px(&im, (int)(x0 + 1.5 * q), y, p);
      CHECK(p[0] == 255 && p[1] == 255 && p[2] == 255);
      px(&im, (int)(x0 + 2.5 * q), y, p);
      CHECK(p[0] < 80);
      px(&im, (int)(x0 + 3.5 * q), y, p);
      CHECK(p[0] == 255);
      px(&im, (int)(x0 + 4 * q + 8), y, p);
      CHECK(p[0] == 255 && p[1] == 255 && p[2] == 255);
    } else {
      CHECK(0);
    }
    cairo_surface_destroy(s);
  }
  spill_layer_free(L);
}

int main(void)
{
  spill_ctx *ctx = spill_ctx_new();
  const char *dir = check_tmpdir();
  char buf[600], out[700], net[700];
  test_classify(ctx);
  test_palettes(ctx);
  test_render(ctx, dir);
  test_points(ctx, dir);
  test_scale_bar(ctx, dir);
  /* a generated network: every cell drawn, in an Albers projection with a scale bar */
  snprintf(net, sizeof net, "%s/net.shp", dir);
  CHECK_EQ_INT(spill_voronoi_network(ctx, 120, 3, net), 0);
  snprintf(out, sizeof out, "%s/net.png", dir);
  count_against_shapefile(ctx, net, out, "id");
  if (check_shared("data/world.shp", buf, sizeof buf)) {
    snprintf(out, sizeof out, "%s/world.png", dir);
    count_against_shapefile(ctx, buf, out, NULL);
  }
  spill_ctx_free(ctx);
  return check_done("test_map");
}
