/* Statistical figures with cairo: axes with nice ticks, points with 95%
 * intervals, lines, scatters by group with a legend, histograms with a
 * density curve, reference lines, panels side by side. The page set-up
 * (sizes from the width, PNG/SVG/PDF by extension, atomic output) follows
 * shapes/map.c. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cairo.h>
#include "shapes/chart.h"
#include "shapes/figure.h"

/* Okabe and Ito (2008) colour-blind-safe palette, led by near-black. */
static const double PAL[7][3] = {{0.10, 0.10, 0.10}, {0.835, 0.369, 0.0}, {0.0, 0.447, 0.698},
                                 {0.0, 0.62, 0.451},  {0.902, 0.624, 0.0}, {0.8, 0.475, 0.655},
                                 {0.55, 0.55, 0.55}};

const char *spill__chart_font_family(void)
{
  return "Noto Sans CJK SC"; /* fontconfig falls back to sans-serif when absent */
}

static void font(cairo_t *cr, double size, int bold)
{
  cairo_select_font_face(cr, spill__chart_font_family(), CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

static double text_w(cairo_t *cr, const char *s)
{
  cairo_text_extents_t e;
  cairo_text_extents(cr, s, &e);
  return e.x_advance;
}

/* Text anchored at (x, y): ha 0 left, 0.5 centre, 1 right; baseline at y
 * shifted by va font sizes (0.35 centres digits vertically). */
static void text_at(cairo_t *cr, double x, double y, double ha, double va, double fs, const char *s)
{
  cairo_move_to(cr, x - ha * text_w(cr, s), y + va * fs);
  cairo_show_text(cr, s);
}

static void set_color(cairo_t *cr, int c)
{
  if (c < 0 || c > 6) c = 6;
  cairo_set_source_rgb(cr, PAL[c][0], PAL[c][1], PAL[c][2]);
}

void spill__chart_init(spill__chart *c)
{
  memset(c, 0, sizeof *c);
  for (int p = 0; p < SPILL__CHART_MAX_PANELS; p++) {
    spill__panel *P = &c->panel[p];
    P->xmin = P->xmax = P->ymin = P->ymax = P->y2min = P->y2max = NAN;
    P->legend = SPILL__LEGEND_TOPRIGHT;
    for (int s = 0; s < SPILL__CHART_MAX_SERIES; s++) P->series[s].color = -1;
    for (int r = 0; r < SPILL__CHART_MAX_REFS; r++) P->refs[r].color = -1;
  }
  c->npanels = 1;
}

spill__series *spill__chart_add(spill__panel *p, int kind, size_t n, const double *x, const double *y,
                                const char *label)
{
  spill__series *s;
  if (p->nseries >= SPILL__CHART_MAX_SERIES) return NULL;
  s = &p->series[p->nseries++];
  memset(s, 0, sizeof *s);
  s->kind = kind;
  s->n = n;
  s->x = x;
  s->y = y;
  s->color = -1;
  s->label = label;
  return s;
}

spill__refline *spill__chart_ref(spill__panel *p, int vertical, double at, int dashed)
{
  spill__refline *r;
  if (p->nrefs >= SPILL__CHART_MAX_REFS) return NULL;
  r = &p->refs[p->nrefs++];
  memset(r, 0, sizeof *r);
  r->vertical = vertical;
  r->at = at;
  r->dashed = dashed;
  r->color = -1;
  return r;
}

/* ---- kernel density and histogram ---- */
static int cmp_dbl(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

double spill__kde(const double *x, size_t n, const double *g, size_t m, double bw, double *f)
{
  size_t k = 0;
  double mean = 0, ss = 0, iqr = 0, sd;
  double *v = malloc((n ? n : 1) * sizeof *v);
  for (size_t j = 0; j < m; j++) f[j] = 0;
  if (!v) return 0;
  for (size_t i = 0; i < n; i++)
    if (isfinite(x[i])) v[k++] = x[i];
  if (k < 2) {
    free(v);
    return 0;
  }
  for (size_t i = 0; i < k; i++) mean += v[i];
  mean /= (double)k;
  for (size_t i = 0; i < k; i++) ss += (v[i] - mean) * (v[i] - mean);
  sd = sqrt(ss / (double)(k - 1));
  qsort(v, k, sizeof *v, cmp_dbl);
  iqr = v[(3 * k) / 4] - v[k / 4];
  if (bw <= 0) {
    /* Silverman (1986) eq. 3.31: 0.9 min(sd, IQR/1.34) n^-1/5 */
    double a = (iqr > 0 && iqr / 1.34 < sd) ? iqr / 1.34 : sd;
    bw = 0.9 * a * pow((double)k, -0.2);
    if (!(bw > 0)) bw = fabs(mean) > 0 ? 1e-3 * fabs(mean) : 1e-3;
  }
  for (size_t j = 0; j < m; j++) {
    double s = 0;
    for (size_t i = 0; i < k; i++) {
      double z = (g[j] - v[i]) / bw;
      if (fabs(z) < 8) s += exp(-0.5 * z * z);
    }
    f[j] = s / ((double)k * bw * 2.5066282746310002);
  }
  free(v);
  return bw;
}

double spill__histogram(const double *x, size_t n, double lo, double hi, int k, double *c, double *h)
{
  double w = (hi - lo) / k;
  size_t tot = 0;
  if (k < 1 || !(w > 0)) return 0;
  for (int b = 0; b < k; b++) {
    c[b] = lo + (b + 0.5) * w;
    h[b] = 0;
  }
  for (size_t i = 0; i < n; i++) {
    int b;
    if (!isfinite(x[i]) || x[i] < lo || x[i] > hi) continue;
    b = (int)floor((x[i] - lo) / w);
    if (b >= k) b = k - 1;
    h[b] += 1;
    tot++;
  }
  for (int b = 0; b < k && tot; b++) h[b] /= (double)tot * w;
  return w;
}

/* ---- axes ---- */
/* A step of 1, 2 or 5 times a power of ten giving about `want` intervals. */
static double nice_step(double range, double want)
{
  double raw = range / want, p = pow(10, floor(log10(raw))), m = raw / p;
  return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * p;
}

/* A tick label: decimals from the step, a true minus sign, no "-0". */
static void tick_label(double v, double step, char *buf, size_t size)
{
  char tmp[48];
  double a = fabs(v);
  int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
  if (dec > 10) dec = 10;
  if (fabs(v) < 1e-9 * step) v = 0;
  if ((a >= 1e6 || (a > 0 && a < 1e-4)) && v != 0) snprintf(tmp, sizeof tmp, "%.2g", v);
  else snprintf(tmp, sizeof tmp, "%.*f", dec, v);
  if (tmp[0] == '-') snprintf(buf, size, "\xE2\x88\x92%s", tmp + 1);
  else snprintf(buf, size, "%s", tmp);
}

typedef struct axis {
  double lo, hi, step;
  int any;
} axis;

static void grow(axis *a, double v)
{
  if (!isfinite(v)) return;
  if (!a->any || v < a->lo) a->lo = v;
  if (!a->any || v > a->hi) a->hi = v;
  a->any = 1;
}

/* Pad the data range by 4% each side (unless fixed), choose the tick step. */
static void finish_axis(axis *a, double fmin_, double fmax_, int integer)
{
  double r;
  if (!a->any) {
    a->lo = 0;
    a->hi = 1;
  }
  if (a->hi <= a->lo) {
    double d = a->lo != 0 ? 0.1 * fabs(a->lo) : 1;
    a->lo -= d;
    a->hi += d;
  }
  r = a->hi - a->lo;
  a->lo = isfinite(fmin_) ? fmin_ : a->lo - 0.04 * r;
  a->hi = isfinite(fmax_) ? fmax_ : a->hi + 0.04 * r;
  if (integer && isfinite(fmin_) == 0 && isfinite(fmax_) == 0) {
    a->lo = fmin(a->lo, floor(a->lo + 0.04 * r) - 0.5);
    a->hi = fmax(a->hi, ceil(a->hi - 0.04 * r) + 0.5);
  }
  a->step = nice_step(a->hi - a->lo, 5);
  if (integer && (a->step < 1 || a->hi - a->lo <= 14)) a->step = 1;
}

typedef struct pgeom {
  double x0, y0, x1, y1; /* plot box */
  axis X, Y, Y2;
  int has_y2;
} pgeom;

static double px(const pgeom *g, double x) { return g->x0 + (x - g->X.lo) / (g->X.hi - g->X.lo) * (g->x1 - g->x0); }
static double py(const pgeom *g, double y) { return g->y1 - (y - g->Y.lo) / (g->Y.hi - g->Y.lo) * (g->y1 - g->y0); }
static double py2(const pgeom *g, double y) { return g->y1 - (y - g->Y2.lo) / (g->Y2.hi - g->Y2.lo) * (g->y1 - g->y0); }

static void data_ranges(const spill__panel *P, pgeom *g)
{
  memset(&g->X, 0, sizeof g->X);
  memset(&g->Y, 0, sizeof g->Y);
  memset(&g->Y2, 0, sizeof g->Y2);
  g->has_y2 = 0;
  for (int s = 0; s < P->nseries; s++) {
    const spill__series *S = &P->series[s];
    axis *Y = S->y2 ? &g->Y2 : &g->Y;
    if (S->y2) g->has_y2 = 1;
    for (size_t i = 0; i < S->n; i++) {
      if (!isfinite(S->x[i]) || !isfinite(S->y[i])) continue;
      if (S->kind == SPILL__SERIES_BARS) {
        grow(&g->X, S->x[i] - 0.5 * S->bar_width);
        grow(&g->X, S->x[i] + 0.5 * S->bar_width);
        grow(Y, 0);
      } else
        grow(&g->X, S->x[i]);
      grow(Y, S->y[i]);
      if (S->lo && S->hi) {
        grow(Y, S->lo[i]);
        grow(Y, S->hi[i]);
      }
    }
  }
  for (int r = 0; r < P->nrefs; r++) {
    if (P->refs[r].vertical) grow(&g->X, P->refs[r].at);
    else grow(P->refs[r].y2 ? &g->Y2 : &g->Y, P->refs[r].at);
  }
}

/* ---- marks ---- */
static void marker_path(cairo_t *cr, int m, double x, double y, double r)
{
  switch (m) {
  case SPILL__MARK_SQUARE:
    cairo_rectangle(cr, x - 0.85 * r, y - 0.85 * r, 1.7 * r, 1.7 * r);
    break;
  case SPILL__MARK_TRIANGLE:
    cairo_move_to(cr, x, y - 1.15 * r);
    cairo_line_to(cr, x + r, y + 0.65 * r);
    cairo_line_to(cr, x - r, y + 0.65 * r);
    cairo_close_path(cr);
    break;
  case SPILL__MARK_DIAMOND:
    cairo_move_to(cr, x, y - 1.2 * r);
    cairo_line_to(cr, x + 1.2 * r, y);
    cairo_line_to(cr, x, y + 1.2 * r);
    cairo_line_to(cr, x - 1.2 * r, y);
    cairo_close_path(cr);
    break;
  case SPILL__MARK_CROSS:
    cairo_move_to(cr, x - r, y);
    cairo_line_to(cr, x + r, y);
    cairo_move_to(cr, x, y - r);
    cairo_line_to(cr, x, y + r);
    break;
  case SPILL__MARK_X:
    cairo_move_to(cr, x - 0.8 * r, y - 0.8 * r);
    cairo_line_to(cr, x + 0.8 * r, y + 0.8 * r);
    cairo_move_to(cr, x - 0.8 * r, y + 0.8 * r);
    cairo_line_to(cr, x + 0.8 * r, y - 0.8 * r);
    break;
  default:
    cairo_new_sub_path(cr);
    cairo_arc(cr, x, y, r, 0, 6.283185307179586);
  }
}

static void draw_marker(cairo_t *cr, const spill__series *S, int color, double x, double y, double u)
{
  double r = (S->size > 0 ? S->size : 0.55) * u;
  int open = S->marker == SPILL__MARK_CROSS || S->marker == SPILL__MARK_X;
  cairo_new_path(cr);
  marker_path(cr, S->marker, x, y, r);
  cairo_set_line_width(cr, 0.16 * u);
  if (!open) {
    if (S->hollow) cairo_set_source_rgb(cr, 1, 1, 1);
    else set_color(cr, color);
    cairo_fill_preserve(cr);
  }
  set_color(cr, color);
  cairo_stroke(cr);
}

static int series_color(const spill__series *S, int s)
{
  return S->color >= 0 ? S->color : s % 6;
}

/* The legend's sample of series s, centred at (x, y). */
static void legend_sample(cairo_t *cr, const spill__series *S, int color, double x, double y, double u)
{
  if (S->kind == SPILL__SERIES_POINTS) {
    draw_marker(cr, S, color, x, y, u);
  } else if (S->kind == SPILL__SERIES_LINE) {
    double d[2] = {0.9 * u, 0.6 * u};
    set_color(cr, color);
    cairo_set_line_width(cr, (S->line_width > 0 ? S->line_width : 0.28) * u);
    cairo_set_dash(cr, d, S->dashed ? 2 : 0, 0);
    cairo_move_to(cr, x - 1.2 * u, y);
    cairo_line_to(cr, x + 1.2 * u, y);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
  } else {
    cairo_rectangle(cr, x - 0.8 * u, y - 0.6 * u, 1.6 * u, 1.2 * u);
    cairo_set_source_rgb(cr, 0.82, 0.82, 0.82);
    cairo_fill_preserve(cr);
    set_color(cr, 6);
    cairo_set_line_width(cr, 0.1 * u);
    cairo_stroke(cr);
  }
}

/* ---- output ---- */

typedef struct layout {
  double W, H, u, fs_tick, fs_lab, fs_ptitle, fs_title, title_h, note_h;
  pgeom g[SPILL__CHART_MAX_PANELS];
} layout;

static void make_layout(cairo_t *cr, const spill__chart *c, layout *L)
{
  double pw = c->panel_width > 0 ? c->panel_width : 720;
  double u = pw / 100.0;
  L->u = u;
  L->fs_tick = fmax(9, 1.75 * u);
  L->fs_lab = fmax(10, 1.95 * u);
  L->fs_ptitle = fmax(10, 2.1 * u);
  L->fs_title = fmax(12, 2.5 * u);
  L->title_h = c->title ? 2.0 * L->fs_title : 1.0 * u;
  L->note_h = c->note ? 1.8 * L->fs_tick : 0;
  L->W = pw * c->npanels;
  L->H = (c->height > 0 ? c->height : 0.68 * pw) + L->title_h + L->note_h;
  for (int p = 0; p < c->npanels; p++) {
    const spill__panel *P = &c->panel[p];
    pgeom *g = &L->g[p];
    double left, right, top, bottom, wmax = 0;
    char buf[64];
    data_ranges(P, g);
    finish_axis(&g->X, P->xmin, P->xmax, P->integer_x);
    finish_axis(&g->Y, P->ymin, P->ymax, 0);
    if (g->has_y2) finish_axis(&g->Y2, P->y2min, P->y2max, 0);
    font(cr, L->fs_tick, 0);
    for (double t = ceil(g->Y.lo / g->Y.step) * g->Y.step; t <= g->Y.hi + 1e-9 * g->Y.step; t += g->Y.step) {
      tick_label(t, g->Y.step, buf, sizeof buf);
      wmax = fmax(wmax, text_w(cr, buf));
    }
    left = 1.5 * u + (P->ylabel ? 1.6 * L->fs_lab : 0) + wmax + 1.2 * u;
    right = 2.0 * u;
    if (g->has_y2) {
      double w2 = 0;
      for (double t = ceil(g->Y2.lo / g->Y2.step) * g->Y2.step; t <= g->Y2.hi + 1e-9 * g->Y2.step;
           t += g->Y2.step) {
        tick_label(t, g->Y2.step, buf, sizeof buf);
        w2 = fmax(w2, text_w(cr, buf));
      }
      right = 1.5 * u + (P->y2label ? 1.6 * L->fs_lab : 0) + w2 + 1.2 * u;
    }
    top = L->title_h + (P->title ? 1.9 * L->fs_ptitle : 1.0 * u);
    bottom = L->note_h + 1.2 * u + 1.6 * L->fs_tick + (P->xlabel ? 1.7 * L->fs_lab : 0) + 0.6 * u;
    g->x0 = p * pw + left;
    g->x1 = (p + 1) * pw - right;
    g->y0 = top;
    g->y1 = L->H - bottom;
  }
  if (c->share_y && c->npanels > 1) {
    double lo = INFINITY, hi = -INFINITY;
    for (int p = 0; p < c->npanels; p++) {
      lo = fmin(lo, L->g[p].Y.lo);
      hi = fmax(hi, L->g[p].Y.hi);
    }
    for (int p = 0; p < c->npanels; p++) {
      L->g[p].Y.lo = lo;
      L->g[p].Y.hi = hi;
      L->g[p].Y.step = nice_step(hi - lo, 5);
    }
  }
}

static void draw_axes(cairo_t *cr, const layout *L, const spill__panel *P, const pgeom *g)
{
  double u = L->u;
  char buf[64];
  /* light grid at the y ticks, then the frame */
  cairo_set_line_width(cr, 0.08 * u);
  font(cr, L->fs_tick, 0);
  for (double t = ceil(g->Y.lo / g->Y.step) * g->Y.step; t <= g->Y.hi + 1e-9 * g->Y.step; t += g->Y.step) {
    double y = py(g, t);
    cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
    cairo_move_to(cr, g->x0, y);
    cairo_line_to(cr, g->x1, y);
    cairo_stroke(cr);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_move_to(cr, g->x0 - 0.7 * u, y);
    cairo_line_to(cr, g->x0, y);
    cairo_stroke(cr);
    tick_label(t, g->Y.step, buf, sizeof buf);
    text_at(cr, g->x0 - 1.0 * u, y, 1, 0.36, L->fs_tick, buf);
  }
  for (double t = ceil(g->X.lo / g->X.step) * g->X.step; t <= g->X.hi + 1e-9 * g->X.step; t += g->X.step) {
    double x = px(g, t);
    cairo_set_source_rgb(cr, 0.15, 0.15, 0.15);
    cairo_move_to(cr, x, g->y1);
    cairo_line_to(cr, x, g->y1 + 0.7 * u);
    cairo_stroke(cr);
    tick_label(t, g->X.step, buf, sizeof buf);
    text_at(cr, x, g->y1 + 1.0 * u + L->fs_tick, 0.5, 0, L->fs_tick, buf);
  }
  if (g->has_y2) {
    for (double t = ceil(g->Y2.lo / g->Y2.step) * g->Y2.step; t <= g->Y2.hi + 1e-9 * g->Y2.step;
         t += g->Y2.step) {
      double y = py2(g, t);
      cairo_move_to(cr, g->x1, y);
      cairo_line_to(cr, g->x1 + 0.7 * u, y);
      cairo_stroke(cr);
      tick_label(t, g->Y2.step, buf, sizeof buf);
      text_at(cr, g->x1 + 1.0 * u, y, 0, 0.36, L->fs_tick, buf);
    }
  }
  cairo_set_line_width(cr, 0.12 * u);
  cairo_rectangle(cr, g->x0, g->y0, g->x1 - g->x0, g->y1 - g->y0);
  cairo_stroke(cr);
  font(cr, L->fs_lab, 0);
  if (P->xlabel) text_at(cr, 0.5 * (g->x0 + g->x1), g->y1 + 1.2 * u + 1.6 * L->fs_tick + 1.2 * L->fs_lab, 0.5, 0, L->fs_lab, P->xlabel);
  if (P->ylabel) {
    cairo_save(cr);
    cairo_translate(cr, g->x0 - 1.2 * u - 0.0, 0.5 * (g->y0 + g->y1));
    cairo_rotate(cr, -1.5707963267948966);
    {
      double wmax = 0;
      font(cr, L->fs_tick, 0);
      for (double t = ceil(g->Y.lo / g->Y.step) * g->Y.step; t <= g->Y.hi + 1e-9 * g->Y.step; t += g->Y.step) {
        tick_label(t, g->Y.step, buf, sizeof buf);
        wmax = fmax(wmax, text_w(cr, buf));
      }
      font(cr, L->fs_lab, 0);
      text_at(cr, 0, -wmax - 0.8 * u - 0.3 * L->fs_lab, 0.5, 0, L->fs_lab, P->ylabel);
    }
    cairo_restore(cr);
  }
  if (P->y2label && g->has_y2) {
    double w2 = 0;
    font(cr, L->fs_tick, 0);
    for (double t = ceil(g->Y2.lo / g->Y2.step) * g->Y2.step; t <= g->Y2.hi + 1e-9 * g->Y2.step; t += g->Y2.step) {
      tick_label(t, g->Y2.step, buf, sizeof buf);
      w2 = fmax(w2, text_w(cr, buf));
    }
    cairo_save(cr);
    cairo_translate(cr, g->x1 + 1.0 * u + w2 + 0.8 * u + 0.9 * L->fs_lab, 0.5 * (g->y0 + g->y1));
    cairo_rotate(cr, 1.5707963267948966);
    font(cr, L->fs_lab, 0);
    text_at(cr, 0, 0, 0.5, 0, L->fs_lab, P->y2label);
    cairo_restore(cr);
  }
  if (P->title) {
    font(cr, L->fs_ptitle, 1);
    text_at(cr, 0.5 * (g->x0 + g->x1), g->y0 - 0.6 * L->fs_ptitle, 0.5, 0, L->fs_ptitle, P->title);
  }
}

static void draw_series(cairo_t *cr, const layout *L, const spill__panel *P, const pgeom *g,
                        spill__chart_stats *st)
{
  double u = L->u;
  cairo_save(cr);
  cairo_rectangle(cr, g->x0, g->y0, g->x1 - g->x0, g->y1 - g->y0);
  cairo_clip(cr);
  /* bars first, then lines, then points on top */
  for (int pass = 0; pass < 3; pass++)
    for (int s = 0; s < P->nseries; s++) {
      const spill__series *S = &P->series[s];
      int col = series_color(S, s);
      double (*fy)(const pgeom *, double) = S->y2 ? py2 : py;
      if ((pass == 0) != (S->kind == SPILL__SERIES_BARS) || (pass == 1) != (S->kind == SPILL__SERIES_LINE))
        continue;
      if (S->kind == SPILL__SERIES_BARS) {
        for (size_t i = 0; i < S->n; i++) {
          double xa, xb, ya, yb;
          if (!isfinite(S->x[i]) || !isfinite(S->y[i])) continue;
          xa = px(g, S->x[i] - 0.5 * S->bar_width);
          xb = px(g, S->x[i] + 0.5 * S->bar_width);
          ya = fy(g, 0);
          yb = fy(g, S->y[i]);
          cairo_rectangle(cr, xa, yb, xb - xa, ya - yb);
          if (S->color >= 0) {
            set_color(cr, S->color);
            cairo_fill_preserve(cr);
            cairo_set_source_rgba(cr, 1, 1, 1, 0.6);
            cairo_fill_preserve(cr);
          } else {
            cairo_set_source_rgb(cr, 0.82, 0.82, 0.82);
            cairo_fill_preserve(cr);
          }
          set_color(cr, 6);
          cairo_set_line_width(cr, 0.08 * u);
          cairo_stroke(cr);
          st->bars++;
        }
      } else if (S->kind == SPILL__SERIES_LINE) {
        double d[2] = {0.9 * u, 0.6 * u};
        int pen = 0;
        set_color(cr, col);
        cairo_set_line_width(cr, (S->line_width > 0 ? S->line_width : 0.28) * u);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        cairo_set_dash(cr, d, S->dashed ? 2 : 0, 0);
        for (size_t i = 0; i < S->n; i++) {
          if (!isfinite(S->x[i]) || !isfinite(S->y[i])) {
            pen = 0;
            continue;
          }
          if (pen) cairo_line_to(cr, px(g, S->x[i]), fy(g, S->y[i]));
          else cairo_move_to(cr, px(g, S->x[i]), fy(g, S->y[i]));
          pen = 1;
        }
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        st->lines++;
      } else {
        for (size_t i = 0; i < S->n && S->lo && S->hi; i++) {
          double x, a, b;
          if (!isfinite(S->x[i]) || !isfinite(S->lo[i]) || !isfinite(S->hi[i])) continue;
          x = px(g, S->x[i]);
          a = fy(g, S->lo[i]);
          b = fy(g, S->hi[i]);
          set_color(cr, col);
          cairo_set_line_width(cr, 0.2 * u);
          cairo_move_to(cr, x, a);
          cairo_line_to(cr, x, b);
          cairo_move_to(cr, x - 0.45 * u, a);
          cairo_line_to(cr, x + 0.45 * u, a);
          cairo_move_to(cr, x - 0.45 * u, b);
          cairo_line_to(cr, x + 0.45 * u, b);
          cairo_stroke(cr);
          st->intervals++;
        }
        for (size_t i = 0; i < S->n; i++) {
          if (!isfinite(S->x[i]) || !isfinite(S->y[i])) continue;
          draw_marker(cr, S, col, px(g, S->x[i]), fy(g, S->y[i]), u);
          st->markers++;
        }
      }
    }
  cairo_restore(cr);
}

static void draw_refs(cairo_t *cr, const layout *L, const spill__panel *P, const pgeom *g,
                      spill__chart_stats *st)
{
  double u = L->u, d[2] = {0.8 * u, 0.5 * u};
  for (int r = 0; r < P->nrefs; r++) {
    const spill__refline *R = &P->refs[r];
    double a;
    set_color(cr, R->color >= 0 ? R->color : 6);
    cairo_set_line_width(cr, 0.16 * u);
    cairo_set_dash(cr, d, R->dashed ? 2 : 0, 0);
    if (R->vertical) {
      a = px(g, R->at);
      if (a < g->x0 - 0.5 || a > g->x1 + 0.5) continue;
      cairo_move_to(cr, a, g->y0);
      cairo_line_to(cr, a, g->y1);
    } else {
      a = R->y2 ? py2(g, R->at) : py(g, R->at);
      if (a < g->y0 - 0.5 || a > g->y1 + 0.5) continue;
      cairo_move_to(cr, g->x0, a);
      cairo_line_to(cr, g->x1, a);
    }
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    st->refs++;
    if (R->label) {
      font(cr, L->fs_tick, 0);
      if (R->vertical) { /* right of the line, or left of it when it would leave the box */
        int left = a + 0.6 * u + text_w(cr, R->label) > g->x1 - 0.3 * u;
        text_at(cr, left ? a - 0.6 * u : a + 0.6 * u, g->y0 + 0.6 * u + L->fs_tick, left ? 1 : 0, 0, L->fs_tick,
                R->label);
      }
      else text_at(cr, g->x1 - 0.6 * u, a - 0.5 * u, 1, 0, L->fs_tick, R->label);
    }
  }
}

static void draw_legend(cairo_t *cr, const layout *L, const spill__panel *P, const pgeom *g,
                        spill__chart_stats *st)
{
  double u = L->u, fs = L->fs_tick, wmax = 0, row = 1.55 * fs, bw, bh, x, y;
  int n = 0;
  if (P->legend == SPILL__LEGEND_NONE) return;
  font(cr, fs, 0);
  for (int s = 0; s < P->nseries; s++)
    if (P->series[s].label) {
      wmax = fmax(wmax, text_w(cr, P->series[s].label));
      n++;
    }
  if (!n) return;
  bw = 3.6 * u + wmax + 1.0 * u;
  bh = n * row + 0.8 * u;
  x = (P->legend == SPILL__LEGEND_TOPLEFT || P->legend == SPILL__LEGEND_BOTTOMLEFT) ? g->x0 + 1.0 * u
                                                                                  : g->x1 - 1.0 * u - bw;
  y = (P->legend == SPILL__LEGEND_BOTTOMLEFT || P->legend == SPILL__LEGEND_BOTTOMRIGHT) ? g->y1 - 1.0 * u - bh
                                                                                      : g->y0 + 1.0 * u;
  cairo_rectangle(cr, x, y, bw, bh);
  cairo_set_source_rgba(cr, 1, 1, 1, 0.9);
  cairo_fill_preserve(cr);
  cairo_set_source_rgb(cr, 0.6, 0.6, 0.6);
  cairo_set_line_width(cr, 0.08 * u);
  cairo_stroke(cr);
  n = 0;
  for (int s = 0; s < P->nseries; s++) {
    const spill__series *S = &P->series[s];
    double cy;
    if (!S->label) continue;
    cy = y + 0.4 * u + (n + 0.5) * row;
    legend_sample(cr, S, series_color(S, s), x + 1.9 * u, cy, u);
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    font(cr, fs, 0);
    text_at(cr, x + 3.6 * u, cy, 0, 0.36, fs, S->label);
    n++;
    st->legend_entries++;
  }
}

int spill__chart_draw(spill_ctx *ctx, const spill__chart *c, const char *path, spill__chart_stats *stats)
{
  spill__chart_stats local;
  layout L;
  int rc = SPILL_OK;
  spill__figure fig;
  cairo_surface_t *probe;
  cairo_t *cr = NULL;
  if (!stats) stats = &local;
  memset(stats, 0, sizeof *stats);
  if (!c || !path) return spill__fail(ctx, SPILL_EINVAL, "chart: no figure or no output path");
  if (c->npanels < 1 || c->npanels > SPILL__CHART_MAX_PANELS)
    return spill__fail(ctx, SPILL_EINVAL, "chart: %d panels (1 to %d)", c->npanels, SPILL__CHART_MAX_PANELS);
  if (c->panel_width < 0 || c->panel_width > 10000)
    return spill__fail(ctx, SPILL_EINVAL, "chart width %g is out of range (200 to 10000)", c->panel_width);
  if ((rc = spill__figure_open(ctx, &fig, path))) return rc;
  probe = cairo_image_surface_create(CAIRO_FORMAT_A8, 4, 4);
  cr = cairo_create(probe);
  make_layout(cr, c, &L);
  cairo_destroy(cr);
  cairo_surface_destroy(probe);
  cr = NULL;
  stats->width = (int)ceil(L.W);
  stats->height = (int)ceil(L.H);
  if ((rc = spill__figure_surface(ctx, &fig, stats->width, stats->height))) goto done;
  cr = cairo_create(fig.surf);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  if (c->title) {
    cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
    font(cr, L.fs_title, 1);
    text_at(cr, 0.5 * L.W, 1.35 * L.fs_title, 0.5, 0, L.fs_title, c->title);
  }
  for (int p = 0; p < c->npanels; p++) {
    const pgeom *g = &L.g[p];
    draw_axes(cr, &L, &c->panel[p], g);
    draw_refs(cr, &L, &c->panel[p], g, stats);
    draw_series(cr, &L, &c->panel[p], g, stats);
    draw_legend(cr, &L, &c->panel[p], g, stats);
    stats->box[p][0] = g->x0;
    stats->box[p][1] = g->y0;
    stats->box[p][2] = g->x1;
    stats->box[p][3] = g->y1;
    stats->bx[p] = (g->x1 - g->x0) / (g->X.hi - g->X.lo);
    stats->ax[p] = g->x0 - g->X.lo * stats->bx[p];
    stats->by[p] = -(g->y1 - g->y0) / (g->Y.hi - g->Y.lo);
    stats->ay[p] = g->y1 - g->Y.lo * stats->by[p];
  }
  if (c->note) {
    font(cr, L.fs_tick * 0.9, 0);
    cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
    text_at(cr, 1.5 * L.u, L.H - 0.6 * L.fs_tick, 0, 0, L.fs_tick, c->note);
  }
  cairo_destroy(cr);
  cr = NULL;
  return spill__figure_close(ctx, &fig);
done:
  if (cr) cairo_destroy(cr);
  spill__figure_discard(&fig);
  return rc;
}
