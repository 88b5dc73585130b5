/* Choropleth maps drawn with cairo: classes coloured from a palette,
 * missing values hatched, a legend with class bounds and counts, a title, a
 * scale bar and outlines of highlighted (pilot) units. PNG, SVG or PDF. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cairo.h>
#include "shapes/figure.h"
#include "shapes/font.h"
#include "shapes/maps.h"

void spill_map_opts_init(spill_map_opts *o)
{
  memset(o, 0, sizeof *o);
  o->method = SPILL_CLASS_QUANTILE;
  o->classes = 5;
}

/* ---- the layer's rings, flattened and projected once ---- */
typedef struct rings {
  size_t npts, cappts;
  double *x, *y;
  size_t nring, capring;
  size_t *ring;   /* nring+1: first point of each ring */
  size_t npoly, cappoly;
  size_t *poly;   /* npoly+1: first ring of each polygon (exterior, then holes) */
  size_t *unit;   /* n+1: first polygon of each unit */
  int points;     /* point layer: each "polygon" is one point */
} rings;

static void rings_free(rings *R)
{
  free(R->x);
  free(R->y);
  free(R->ring);
  free(R->poly);
  free(R->unit);
}

static int grow_sz(spill_ctx *ctx, size_t **a, size_t *cap, size_t need)
{
  size_t c = *cap ? *cap : 256;
  size_t *p;
  if (need <= *cap) return SPILL_OK;
  while (c < need) c *= 2;
  p = realloc(*a, c * sizeof *p);
  if (!p) return spill__fail(ctx, SPILL_ENOMEM, "out of memory drawing the map");
  *a = p;
  *cap = c;
  return SPILL_OK;
}

static int add_coords(spill_ctx *ctx, GEOSContextHandle_t h, rings *R, const GEOSGeometry *g)
{
  const GEOSCoordSequence *seq = GEOSGeom_getCoordSeq_r(h, g);
  unsigned int m = 0;
  if (!seq || !GEOSCoordSeq_getSize_r(h, seq, &m))
    return spill__fail(ctx, SPILL_EDEP, "GEOS cannot read a ring's coordinates");
  if (R->npts + m > R->cappts) {
    size_t c = R->cappts ? R->cappts : 4096;
    double *x, *y;
    while (c < R->npts + m) c *= 2;
    x = realloc(R->x, c * sizeof *x);
    if (x) R->x = x;
    y = x ? realloc(R->y, c * sizeof *y) : NULL;
    if (!x || !y) return spill__fail(ctx, SPILL_ENOMEM, "out of memory drawing the map");
    R->y = y;
    R->cappts = c;
  }
  if (m && !GEOSCoordSeq_copyToArrays_r(h, seq, R->x + R->npts, R->y + R->npts, NULL, NULL))
    return spill__fail(ctx, SPILL_EDEP, "GEOS cannot copy a ring's coordinates");
  if (grow_sz(ctx, &R->ring, &R->capring, R->nring + 2)) return SPILL_ENOMEM;
  R->ring[R->nring++] = R->npts;
  R->npts += m;
  return SPILL_OK;
}

static int add_polygon(spill_ctx *ctx, GEOSContextHandle_t h, rings *R, const GEOSGeometry *g)
{
  int nh;
  if (GEOSisEmpty_r(h, g) == 1) return SPILL_OK;
  if (grow_sz(ctx, &R->poly, &R->cappoly, R->npoly + 2)) return SPILL_ENOMEM;
  R->poly[R->npoly++] = R->nring;
  if (GEOSGeomTypeId_r(h, g) == GEOS_POINT) return add_coords(ctx, h, R, g);
  if (add_coords(ctx, h, R, GEOSGetExteriorRing_r(h, g))) return SPILL_EDEP;
  nh = GEOSGetNumInteriorRings_r(h, g);
  for (int k = 0; k < nh; k++)
    if (add_coords(ctx, h, R, GEOSGetInteriorRingN_r(h, g, k))) return SPILL_EDEP;
  return SPILL_OK;
}

static int add_geometry(spill_ctx *ctx, GEOSContextHandle_t h, rings *R, const GEOSGeometry *g)
{
  int t;
  if (!g) return SPILL_OK;
  t = GEOSGeomTypeId_r(h, g);
  if (t == GEOS_POLYGON || t == GEOS_POINT) return add_polygon(ctx, h, R, g);
  if (t == GEOS_MULTIPOLYGON || t == GEOS_GEOMETRYCOLLECTION || t == GEOS_MULTIPOINT) {
    int np = GEOSGetNumGeometries_r(h, g);
    for (int k = 0; k < np; k++)
      if (add_geometry(ctx, h, R, GEOSGetGeometryN_r(h, g, k))) return spill_ctx_status(ctx);
  }
  return SPILL_OK; /* lines have no area to colour */
}

static int rings_build(spill_ctx *ctx, const spill_layer *L, const spill__map_crs *crs, rings *R,
                       double b[4])
{
  R->unit = spill__malloc(ctx, (L->n + 1) * sizeof *R->unit);
  if (!R->unit) return SPILL_ENOMEM;
  R->points = L->kind == SPILL_SHAPE_POINT;
  for (size_t i = 0; i < L->n; i++) {
    R->unit[i] = R->npoly;
    if (add_geometry(ctx, L->geos, R, L->geoms[i])) return spill_ctx_status(ctx);
  }
  R->unit[L->n] = R->npoly;
  if (grow_sz(ctx, &R->poly, &R->cappoly, R->npoly + 1) ||
      grow_sz(ctx, &R->ring, &R->capring, R->nring + 1))
    return SPILL_ENOMEM;
  R->poly[R->npoly] = R->nring;
  R->ring[R->nring] = R->npts;
  spill__map_crs_apply(crs, R->x, R->y, R->npts);
  b[0] = b[1] = INFINITY;
  b[2] = b[3] = -INFINITY;
  for (size_t k = 0; k < R->npts; k++) {
    if (!isfinite(R->x[k]) || !isfinite(R->y[k])) continue;
    if (R->x[k] < b[0]) b[0] = R->x[k];
    if (R->x[k] > b[2]) b[2] = R->x[k];
    if (R->y[k] < b[1]) b[1] = R->y[k];
    if (R->y[k] > b[3]) b[3] = R->y[k];
  }
  if (!(b[0] <= b[2]))
    return spill__fail(ctx, SPILL_EDATA, "%s: nothing to draw (no polygon has usable coordinates)",
                       L->path ? L->path : "layer");
  return SPILL_OK;
}

/* ---- layout ---- */
typedef struct frame {
  double sc, ox, oy, bx0, by1; /* device = (ox + sc (X - bx0), oy + sc (by1 - Y)) */
  double u;                    /* one hundredth of the width: the size unit */
  double lw;                   /* boundary line width */
} frame;

static void to_dev(const frame *F, double X, double Y, double *dx, double *dy)
{
  *dx = F->ox + F->sc * (X - F->bx0);
  *dy = F->oy + F->sc * (F->by1 - Y);
}

/* Append the rings of unit i to the current path; returns the rings drawn
 * and counts polygons. Points closer than a third of a pixel to the last
 * one kept are skipped (invisible, and cairo is much faster without them);
 * a polygon smaller than a pixel becomes a 1.6-pixel square so islands
 * stay visible. */
static size_t path_unit(cairo_t *cr, const frame *F, const rings *R, size_t i, size_t *npoly)
{
  size_t nr = 0;
  for (size_t p = R->unit[i]; p < R->unit[i + 1]; p++) {
    size_t r0 = R->poly[p], r1 = R->poly[p + 1];
    double minx = INFINITY, miny = INFINITY, maxx = -INFINITY, maxy = -INFINITY;
    for (size_t k = R->ring[r0]; k < R->ring[r0 + 1]; k++) {
      double dx, dy;
      if (!isfinite(R->x[k]) || !isfinite(R->y[k])) continue;
      to_dev(F, R->x[k], R->y[k], &dx, &dy);
      if (dx < minx) minx = dx;
      if (dx > maxx) maxx = dx;
      if (dy < miny) miny = dy;
      if (dy > maxy) maxy = dy;
    }
    if (!(minx <= maxx)) continue; /* nothing projectable */
    (*npoly)++;
    nr += r1 - r0;
    if (R->points) {
      double rad = 0.45 * F->u;
      cairo_new_sub_path(cr);
      cairo_arc(cr, minx, miny, rad, 0, 6.283185307179586);
      continue;
    }
    if (maxx - minx < 1.2 && maxy - miny < 1.2) {
      double cx = 0.5 * (minx + maxx), cy = 0.5 * (miny + maxy);
      cairo_rectangle(cr, cx - 0.8, cy - 0.8, 1.6, 1.6);
      continue;
    }
    for (size_t r = r0; r < r1; r++) {
      double lx = 0, ly = 0;
      int started = 0;
      size_t end = R->ring[r + 1];
      for (size_t k = R->ring[r]; k < end; k++) {
        double dx, dy;
        if (!isfinite(R->x[k]) || !isfinite(R->y[k])) continue;
        to_dev(F, R->x[k], R->y[k], &dx, &dy);
        if (!started) {
          cairo_move_to(cr, dx, dy);
          started = 1;
        } else if (k + 1 == end || fabs(dx - lx) + fabs(dy - ly) > 0.33) {
          cairo_line_to(cr, dx, dy);
        } else {
          continue;
        }
        lx = dx;
        ly = dy;
      }
      if (started) cairo_close_path(cr);
    }
  }
  return nr;
}

/* ---- text ---- */

static double text_width(cairo_t *cr, const char *s)
{
  cairo_text_extents_t e;
  cairo_text_extents(cr, s, &e);
  return e.x_advance;
}

static void text_at(cairo_t *cr, double x, double y, const char *s)
{
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, s);
}

/* A number with dec decimals (or %g with dec significant digits when sci),
 * with a true minus sign. */
static void fmt_num(double v, int dec, int sci, char *buf, size_t size)
{
  char tmp[64];
  if (sci) snprintf(tmp, sizeof tmp, "%.*g", dec, v);
  else snprintf(tmp, sizeof tmp, "%.*f", dec, v);
  if (!strcmp(tmp, "-0") || (tmp[0] == '-' && strspn(tmp + 1, "0.") == strlen(tmp + 1)))
    memmove(tmp, tmp + 1, strlen(tmp)); /* no "-0.00" */
  if (tmp[0] == '-') snprintf(buf, size, "\xE2\x88\x92%s", tmp + 1);
  else snprintf(buf, size, "%s", tmp);
}

/* Decimals that show every bound distinctly and the narrowest class with
 * two significant digits; %g for very large or very small magnitudes. */
static void label_format(const double *b, int k, int *dec, int *sci)
{
  double mx = 0, minw = INFINITY;
  for (int c = 0; c <= k; c++) mx = fmax(mx, fabs(b[c]));
  for (int c = 0; c < k; c++)
    if (b[c + 1] > b[c]) minw = fmin(minw, b[c + 1] - b[c]);
  *sci = mx >= 1e7 || (mx > 0 && mx < 1e-3);
  if (*sci) {
    *dec = 3;
    return;
  }
  *dec = isfinite(minw) ? (int)ceil(-log10(minw)) + 1 : 2;
  if (*dec < 0) *dec = 0;
  if (mx >= 100 && *dec > 1 && isfinite(minw) && minw >= 1) *dec = 0;
  if (*dec > 8) *dec = 8;
  for (;; (*dec)++) { /* distinct bounds must print distinctly */
    int ok = 1;
    char a[64], c2[64];
    for (int c = 0; c < k && ok; c++) {
      fmt_num(b[c], *dec, 0, a, sizeof a);
      fmt_num(b[c + 1], *dec, 0, c2, sizeof c2);
      if (b[c + 1] > b[c] && !strcmp(a, c2)) ok = 0;
    }
    if (ok || *dec >= 10) break;
  }
}

/* ---- the hatching of missing values ---- */
static cairo_pattern_t *hatch_pattern(double u)
{
  int s = (int)fmax(6, floor(0.55 * u + 0.5));
  cairo_surface_t *tile = cairo_image_surface_create(CAIRO_FORMAT_RGB24, s, s);
  cairo_t *cr = cairo_create(tile);
  cairo_pattern_t *pat;
  cairo_set_source_rgb(cr, SPILL_MAP_MISSING_RGB);
  cairo_paint(cr);
  cairo_set_source_rgb(cr, 0.55, 0.55, 0.55);
  cairo_set_line_width(cr, fmax(1.0, s / 7.0));
  cairo_move_to(cr, -1, s + 1); /* one diagonal, and its wrap-around pieces */
  cairo_line_to(cr, s + 1, -1);
  cairo_move_to(cr, -1, 1);
  cairo_line_to(cr, 1, -1);
  cairo_move_to(cr, s - 1, s + 1);
  cairo_line_to(cr, s + 1, s - 1);
  cairo_stroke(cr);
  cairo_destroy(cr);
  pat = cairo_pattern_create_for_surface(tile);
  cairo_pattern_set_extend(pat, CAIRO_EXTEND_REPEAT);
  cairo_surface_destroy(tile);
  return pat;
}

/* ---- output ---- */
/* A nice scale-bar length (1, 2 or 5 times a power of ten) not above km. */
static double nice_km(double km)
{
  double p = pow(10, floor(log10(km))), m = km / p;
  return (m >= 5 ? 5 : m >= 2 ? 2 : 1) * p;
}

typedef struct legend_row {
  char label[112], count[32];
  int kind; /* 0 class, 1 missing, 2 highlight */
  int cls;
} legend_row;

int spill_map_draw(spill_ctx *ctx, const spill_layer *L, const double *values,
                   const unsigned char *highlight, const spill_map_opts *opts,
                   const char *out_path, spill_map_stats *stats)
{
  spill_map_opts defaults;
  spill_map_stats local;
  spill__map_crs crs = {0};
  rings R = {0};
  frame F;
  double b[4] = {0, 0, 1, 1}, W, H, u, margin, gap, title_fs, fs, title_h, legend_w, legend_h, map_aw, map_w, map_h;
  double lfs;
  int k = 0, rc = SPILL_OK, dec = 2, sci = 0;
  spill__figure fig = {0};
  const char *pal;
  cairo_t *cr = NULL;
  cairo_pattern_t *hatch = NULL;
  legend_row rows[SPILL_MAP_MAX_CLASSES + 2];
  char family[128]; /* one font for all text, covering Chinese (shapes/font.c) */
  int nrows = 0;
  size_t nfinite = 0;
  double vmin = INFINITY, vmax = -INFINITY;
  if (!opts) {
    spill_map_opts_init(&defaults);
    opts = &defaults;
  }
  if (!stats) stats = &local;
  memset(stats, 0, sizeof *stats);
  if (!L || !values || !out_path) return spill__fail(ctx, SPILL_EINVAL, "spill_map_draw: no layer, values or output");
  stats->units = L->n;
  if ((rc = spill__layer_check_geoms(ctx, L, "drawing a map"))) return rc;
  spill__font_family(family);
  W = opts->width > 0 ? opts->width : 1600;
  if (W < 200 || W > 20000)
    return spill__fail(ctx, SPILL_EINVAL, "map width %g is out of range (200 to 20000)", W);
  /* fail on a bad name or an unwritable path before the work, and never leave a part */
  if ((rc = spill__figure_open(ctx, &fig, out_path))) return rc;

  for (size_t i = 0; i < L->n; i++) {
    if (isfinite(values[i])) {
      nfinite++;
      vmin = fmin(vmin, values[i]);
      vmax = fmax(vmax, values[i]);
    }
    if (highlight && highlight[i]) stats->highlighted++;
  }
  if (opts->categories > 0) { /* categorical: code c in (c - 0.5, c + 0.5] */
    if (opts->categories > SPILL_MAP_MAX_CLASSES || !opts->category_rgb || !opts->category_labels) {
      rc = spill__fail(ctx, SPILL_EINVAL, "a categorical map needs 1 to %d categories with colours and labels",
                       SPILL_MAP_MAX_CLASSES);
      goto done;
    }
    k = opts->categories;
    for (int c = 0; c <= k; c++) stats->bounds[c] = c - 0.5;
    memcpy(stats->rgb, opts->category_rgb, 3 * (size_t)k * sizeof *stats->rgb);
  } else if (nfinite) {
    rc = spill_classify(ctx, values, L->n, opts->method, opts->classes ? opts->classes : 5,
                        opts->breaks, opts->nbreaks, stats->bounds, &k);
    if (rc) goto done;
  }
  stats->classes = k;
  pal = opts->palette ? opts->palette : (vmin < 0 && vmax > 0 ? "rdbu" : "viridis");
  if (opts->categories > 0) {
    pal = "categories";
  } else if (spill_palette_diverging(pal) < 0 || k > 0) {
    rc = spill_palette_colors(ctx, pal, stats->bounds, k, stats->rgb);
    if (rc) goto done;
  }
  snprintf(stats->palette, sizeof stats->palette, "%s", pal);
  for (size_t i = 0; i < L->n; i++) {
    int c = isfinite(values[i]) ? spill_class_of(values[i], stats->bounds, k) : -1;
    if (c >= 0) stats->class_counts[c]++;
    else stats->missing++;
  }

  if ((rc = spill__map_crs_choose(ctx, L, opts->crs, &crs))) goto done;
  snprintf(stats->crs, sizeof stats->crs, "%s", crs.desc);
  if ((rc = rings_build(ctx, L, &crs, &R, b))) goto done;

  /* sizes: everything scales with the width */
  u = W / 100.0;
  margin = 2.0 * u;
  gap = 2.0 * u;
  title_fs = fmax(15, 1.9 * u);
  fs = fmax(11, 1.05 * u);
  {
    cairo_surface_t *probe = cairo_image_surface_create(CAIRO_FORMAT_A8, 4, 4);
    cairo_t *pc = cairo_create(probe);
    double lt_w = 0, maxw = 0, cw = 0;
    if (k && opts->categories <= 0) label_format(stats->bounds, k, &dec, &sci);
    for (int c = 0; c < k; c++) {
      char a[48], z[48];
      fmt_num(stats->bounds[c], dec, sci, a, sizeof a);
      fmt_num(stats->bounds[c + 1], dec, sci, z, sizeof z);
      rows[nrows].kind = 0;
      rows[nrows].cls = c;
      if (opts->categories > 0)
        snprintf(rows[nrows].label, sizeof rows[nrows].label, "%s",
                 opts->category_labels[c] ? opts->category_labels[c] : "");
      else
        snprintf(rows[nrows].label, sizeof rows[nrows].label, "%s \xE2\x80\x93 %s", a, z);
      snprintf(rows[nrows].count, sizeof rows[nrows].count, "(%zu)", stats->class_counts[c]);
      nrows++;
    }
    if (stats->missing) {
      rows[nrows].kind = 1;
      snprintf(rows[nrows].label, sizeof rows[nrows].label, "no data");
      snprintf(rows[nrows].count, sizeof rows[nrows].count, "(%zu)", stats->missing);
      nrows++;
    }
    if (stats->highlighted) {
      rows[nrows].kind = 2;
      snprintf(rows[nrows].label, sizeof rows[nrows].label, "%s",
               opts->highlight_label ? opts->highlight_label : "highlighted");
      snprintf(rows[nrows].count, sizeof rows[nrows].count, "(%zu)", stats->highlighted);
      nrows++;
    }
    spill__font_select(pc, family, fs, 0);
    for (int r = 0; r < nrows; r++) {
      maxw = fmax(maxw, text_width(pc, rows[r].label));
      cw = fmax(cw, text_width(pc, rows[r].count));
    }
    if (opts->legend_title) {
      spill__font_select(pc, family, fs * 1.05, 1);
      lt_w = text_width(pc, opts->legend_title);
    }
    if (opts->title) { /* a long title shrinks to fit the width */
      double tw;
      spill__font_select(pc, family, title_fs, 1);
      tw = text_width(pc, opts->title);
      if (tw > W - 2 * margin) title_fs *= (W - 2 * margin) / tw;
    }
    legend_w = fmax(lt_w, 2.2 * fs + maxw + 0.7 * fs + cw);
    if (legend_w > 0.4 * W) { /* a long legend title: shrink the legend's text */
      double f = 0.4 * W / legend_w;
      fs *= f;
      legend_w = 0.4 * W;
    }
    cairo_destroy(pc);
    cairo_surface_destroy(probe);
  }
  lfs = fs;
  legend_h = (opts->legend_title ? 1.9 * lfs : 0) + nrows * 1.6 * lfs;
  title_h = opts->title ? 1.7 * title_fs : 0;
  map_aw = W - 2 * margin - gap - legend_w;
  {
    double bw = b[2] - b[0], bh = b[3] - b[1], maxh = 1.1 * W;
    if (!(bw > 0)) bw = bh > 0 ? bh : 1;
    if (!(bh > 0)) bh = bw;
    F.sc = fmin(map_aw / bw, maxh / bh);
    map_w = bw * F.sc;
    map_h = bh * F.sc;
    F.bx0 = b[0] - 0.5 * (bw - (b[2] - b[0]));
    F.by1 = b[3] + 0.5 * (bh - (b[3] - b[1]));
  }
  F.u = u;
  F.ox = margin + 0.5 * (map_aw - map_w);
  F.oy = margin + title_h;
  H = ceil(F.oy + fmax(map_h, legend_h) + 3.4 * u + margin);
  stats->width = (int)W;
  stats->height = (int)H;
  stats->map_box[0] = F.ox;
  stats->map_box[1] = F.oy;
  stats->map_box[2] = F.ox + map_w;
  stats->map_box[3] = F.oy + map_h;
  /* boundaries: thin where units are small, never heavier than 1/8 u */
  {
    double per = L->n ? sqrt(map_w * map_h / (double)L->n) : map_w;
    F.lw = fmin(0.12 * u, fmax(0.15, per / 45.0));
  }

  if ((rc = spill__figure_surface(ctx, &fig, W, H))) goto done;
  cr = cairo_create(fig.surf);
  hatch = hatch_pattern(u);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);

  if (opts->title) {
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    spill__font_select(cr, family, title_fs, 1);
    text_at(cr, margin, margin + 1.15 * title_fs, opts->title);
  }

  /* the units: fill by class, thin boundaries */
  cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  for (size_t i = 0; i < L->n; i++) {
    size_t np = 0, nr;
    int c = isfinite(values[i]) ? spill_class_of(values[i], stats->bounds, k) : -1;
    cairo_new_path(cr);
    nr = path_unit(cr, &F, &R, i, &np);
    if (!np) continue;
    stats->units_drawn++;
    stats->polygons += np;
    stats->rings += nr;
    if (c >= 0) cairo_set_source_rgb(cr, stats->rgb[3 * c], stats->rgb[3 * c + 1], stats->rgb[3 * c + 2]);
    else cairo_set_source(cr, hatch);
    cairo_fill_preserve(cr);
    cairo_set_source_rgb(cr, 0.33, 0.33, 0.33);
    cairo_set_line_width(cr, F.lw);
    cairo_stroke(cr);
    if ((i & 255) == 255) spill__progress(ctx, "drawing", (double)i / (double)L->n);
  }
  /* highlighted units on top: a white halo under a dark outline */
  if (stats->highlighted) {
    double hw = fmax(0.22 * u, 3.0 * F.lw);
    for (int pass = 0; pass < 2; pass++) {
      for (size_t i = 0; i < L->n; i++) {
        size_t np = 0;
        if (!highlight[i]) continue;
        cairo_new_path(cr);
        path_unit(cr, &F, &R, i, &np);
        if (!np) continue;
        if (pass == 0) {
          cairo_set_source_rgb(cr, 1, 1, 1);
          cairo_set_line_width(cr, 2.2 * hw);
        } else {
          cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
          cairo_set_line_width(cr, hw);
        }
        cairo_stroke(cr);
      }
    }
  }
  cairo_new_path(cr);

  /* unit labels (city names) at a point inside each unit; a label that
   * would overlap one already placed is left out */
  if (opts->labels) {
    double lsz = fmax(7, 0.8 * fs), (*box)[4] = calloc(L->n + 1, sizeof *box);
    size_t nb = 0;
    if (!box) {
      rc = spill__fail(ctx, SPILL_ENOMEM, "out of memory placing labels");
      goto done;
    }
    spill__font_select(cr, family, lsz, 0);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (size_t i = 0; i < L->n; i++) {
      const char *s = opts->labels[i];
      GEOSGeometry *pt;
      double x = NAN, y = NAN, dx, dy, b[4];
      cairo_text_extents_t e;
      int clash = 0;
      if (!s || !*s) continue;
      pt = GEOSPointOnSurface_r(L->geos, L->geoms[i]);
      if (pt && GEOSisEmpty_r(L->geos, pt) != 1) {
        GEOSGeomGetX_r(L->geos, pt, &x);
        GEOSGeomGetY_r(L->geos, pt, &y);
      }
      if (pt) GEOSGeom_destroy_r(L->geos, pt);
      spill__map_crs_apply(&crs, &x, &y, 1);
      if (!isfinite(x) || !isfinite(y) || fabs(x) == HUGE_VAL) continue;
      to_dev(&F, x, y, &dx, &dy);
      cairo_text_extents(cr, s, &e);
      b[0] = dx - e.width / 2 - 0.15 * lsz;
      b[1] = dy - e.height / 2 - 0.15 * lsz;
      b[2] = dx + e.width / 2 + 0.15 * lsz;
      b[3] = dy + e.height / 2 + 0.15 * lsz;
      clash = b[0] < 0 || b[1] < 0 || b[2] > W || b[3] > H; /* off the image */
      for (size_t q = 0; q < nb && !clash; q++)
        clash = b[0] < box[q][2] && box[q][0] < b[2] && b[1] < box[q][3] && box[q][1] < b[3];
      if (clash) {
        stats->labels_skipped++;
        continue;
      }
      memcpy(box[nb++], b, sizeof b);
      cairo_new_path(cr);
      cairo_move_to(cr, dx - e.width / 2 - e.x_bearing, dy - e.height / 2 - e.y_bearing);
      cairo_text_path(cr, s);
      cairo_set_source_rgb(cr, 1, 1, 1);
      cairo_set_line_width(cr, 0.22 * lsz);
      cairo_stroke_preserve(cr);
      cairo_set_source_rgb(cr, 0.08, 0.08, 0.08);
      cairo_fill(cr);
      stats->labels_drawn++;
    }
    free(box);
    if (stats->labels_skipped)
      spill__notice(ctx, "%s: %zu of %zu labels left out where they would overlap others or leave the image (a wider image keeps more)",
                    out_path, stats->labels_skipped, stats->labels_drawn + stats->labels_skipped);
  }
  cairo_new_path(cr);

  /* the legend, right of the map */
  {
    double lx = margin + map_aw + gap, ly = F.oy, sw = 1.7 * lfs, sh = 1.1 * lfs, cx;
    spill__font_select(cr, family, lfs, 0);
    cx = 0;
    for (int r = 0; r < nrows; r++) cx = fmax(cx, text_width(cr, rows[r].label));
    if (opts->legend_title) {
      cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
      spill__font_select(cr, family, lfs * 1.05, 1);
      text_at(cr, lx, ly + 1.1 * lfs, opts->legend_title);
      ly += 1.9 * lfs;
    }
    spill__font_select(cr, family, lfs, 0);
    for (int r = 0; r < nrows; r++) {
      double y = ly + r * 1.6 * lfs;
      cairo_rectangle(cr, lx, y, sw, sh);
      if (rows[r].kind == 0) {
        int c = rows[r].cls;
        cairo_set_source_rgb(cr, stats->rgb[3 * c], stats->rgb[3 * c + 1], stats->rgb[3 * c + 2]);
      } else if (rows[r].kind == 1) {
        cairo_set_source(cr, hatch);
      } else {
        cairo_set_source_rgb(cr, 1, 1, 1);
      }
      cairo_fill_preserve(cr);
      if (rows[r].kind == 2) {
        cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
        cairo_set_line_width(cr, fmax(0.22 * u, 3.0 * F.lw));
      } else {
        cairo_set_source_rgb(cr, 0.33, 0.33, 0.33);
        cairo_set_line_width(cr, fmax(0.5, 0.06 * u));
      }
      cairo_stroke(cr);
      cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
      text_at(cr, lx + sw + 0.6 * lfs, y + 0.88 * lfs, rows[r].label);
      cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
      text_at(cr, lx + sw + 0.6 * lfs + cx + 0.6 * lfs, y + 0.88 * lfs, rows[r].count);
    }
  }

  /* the scale bar, under the map's left corner */
  if (!opts->no_scale_bar && crs.unit_m > 0) {
    double px_km = F.sc * 1000.0 / crs.unit_m, km = nice_km(0.22 * map_w / px_km);
    double len = km * px_km, x0 = F.ox, y0 = F.oy + map_h + 1.0 * u, h = 0.45 * u;
    char lab[48];
    for (int s = 0; s < 4; s++) {
      cairo_rectangle(cr, x0 + s * len / 4, y0, len / 4, h);
      cairo_set_source_rgb(cr, s % 2 ? 1 : 0.15, s % 2 ? 1 : 0.15, s % 2 ? 1 : 0.15);
      cairo_fill_preserve(cr);
      cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
      cairo_set_line_width(cr, fmax(0.5, 0.06 * u));
      cairo_stroke(cr);
    }
    spill__font_select(cr, family, 0.9 * fs, 0);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    text_at(cr, x0 - 0.25 * fs, y0 + h + 1.05 * fs, "0");
    snprintf(lab, sizeof lab, "%g km", km);
    text_at(cr, x0 + len - 0.5 * text_width(cr, lab) + 0.3 * fs, y0 + h + 1.05 * fs, lab);
    stats->scale_bar = 1;
    stats->scale_km = km;
    stats->scale_px = len;
    stats->scale_box[0] = x0;
    stats->scale_box[1] = y0;
    stats->scale_box[2] = x0 + len;
    stats->scale_box[3] = y0 + h;
  } else {
    snprintf(stats->scale_note, sizeof stats->scale_note, "%s",
             opts->no_scale_bar ? "left out as asked" : crs.note);
  }
  /* the projection, small, bottom right */
  {
    char cap[200];
    snprintf(cap, sizeof cap, "%s", crs.desc);
    spill__font_select(cr, family, 0.75 * fs, 0);
    cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
    text_at(cr, W - margin - text_width(cr, cap), H - 0.8 * margin, cap);
  }
  cairo_destroy(cr);
  cr = NULL;
  rc = spill__figure_close(ctx, &fig);
  spill__progress(ctx, "drawing", 1.0);
done:
  if (cr) cairo_destroy(cr);
  if (hatch) cairo_pattern_destroy(hatch);
  spill__figure_discard(&fig);
  rings_free(&R);
  spill__map_crs_clear(&crs);
  return rc;
}
