/* Private to libspill: statistical figures drawn with cairo, as published
 * papers draw them (event-study coefficients with 95% intervals, placebo
 * densities, Bacon and Moran scatters, side-by-side effect panels). The
 * caller describes the figure in plain structs; spill__chart_draw lays it
 * out and writes PNG, SVG or PDF (chosen by the extension) atomically. */
#ifndef SPILL_CHART_H
#define SPILL_CHART_H

#include <stddef.h>
#include "core/internal.h"

#define SPILL__CHART_MAX_PANELS 4
#define SPILL__CHART_MAX_SERIES 12
#define SPILL__CHART_MAX_REFS 6

enum spill__series_kind {
  SPILL__SERIES_POINTS, /* markers, with vertical intervals when lo/hi given */
  SPILL__SERIES_LINE,   /* a polyline through (x, y), NaN breaks it */
  SPILL__SERIES_BARS    /* histogram bars centred at x, of width bar_width */
};

enum spill__marker {
  SPILL__MARK_CIRCLE,
  SPILL__MARK_SQUARE,
  SPILL__MARK_TRIANGLE,
  SPILL__MARK_DIAMOND,
  SPILL__MARK_CROSS,
  SPILL__MARK_X
};

typedef struct spill__series {
  int kind;                /* spill__series_kind */
  size_t n;
  const double *x, *y;     /* borrowed; non-finite points are skipped */
  const double *lo, *hi;   /* POINTS: optional interval ends (both or none) */
  int marker;              /* POINTS: spill__marker */
  int hollow;              /* POINTS: outline only */
  double size;             /* POINTS: marker radius in size units (0: 0.55) */
  int color;               /* palette index (0 near-black, 1 vermillion, 2 blue,
                              3 green, 4 orange, 5 purple, 6 grey); -1 auto */
  int dashed;              /* LINE */
  double line_width;       /* LINE: in size units (0: 0.28) */
  double bar_width;        /* BARS: in data units */
  int y2;                  /* plotted against the secondary (right) axis */
  const char *label;       /* legend entry, or NULL */
} spill__series;

typedef struct spill__refline {
  int vertical;            /* 1: x = at; 0: y = at */
  double at;
  int dashed;
  int y2;                  /* horizontal line on the secondary axis */
  int color;               /* palette index, -1: grey */
  const char *label;       /* written beside the line, or NULL */
} spill__refline;

enum spill__legend_pos { SPILL__LEGEND_NONE, SPILL__LEGEND_TOPRIGHT, SPILL__LEGEND_TOPLEFT,
                         SPILL__LEGEND_BOTTOMRIGHT, SPILL__LEGEND_BOTTOMLEFT, SPILL__LEGEND_BELOW };

typedef struct spill__panel {
  const char *title, *xlabel, *ylabel, *y2label;
  spill__series series[SPILL__CHART_MAX_SERIES];
  int nseries;
  spill__refline refs[SPILL__CHART_MAX_REFS];
  int nrefs;
  double xmin, xmax, ymin, ymax; /* NaN: from the data (with 4% padding) */
  double y2min, y2max;           /* NaN: from the data */
  int integer_x;                 /* ticks at whole numbers (relative years) */
  int legend;                    /* spill__legend_pos */
} spill__panel;

typedef struct spill__chart {
  const char *title;             /* over all panels, or NULL */
  const char *note;              /* small print under the panels, or NULL */
  spill__panel panel[SPILL__CHART_MAX_PANELS];
  int npanels;
  double panel_width;            /* pixels (PNG) / points per panel (0: 720) */
  double height;                 /* 0: 0.68 of panel_width (plus title) */
  int share_y;                   /* the same y range in every panel */
} spill__chart;

/* What was drawn, for tests: counts and the mapping from data to image
 * coordinates of each panel (ix = ax + bx * x, iy = ay + by * y). */
typedef struct spill__chart_stats {
  int width, height;
  size_t markers, intervals, refs, lines, bars, legend_entries;
  double box[SPILL__CHART_MAX_PANELS][4]; /* plot area x0 y0 x1 y1 */
  double ax[SPILL__CHART_MAX_PANELS], bx[SPILL__CHART_MAX_PANELS];
  double ay[SPILL__CHART_MAX_PANELS], by[SPILL__CHART_MAX_PANELS];
} spill__chart_stats;

/* Set every field to its default (NaN limits, auto colours). */
void spill__chart_init(spill__chart *c);
/* Append a series / reference line to panel p; returns it (NULL when full). */
spill__series *spill__chart_add(spill__panel *p, int kind, size_t n, const double *x, const double *y,
                                const char *label);
spill__refline *spill__chart_ref(spill__panel *p, int vertical, double at, int dashed);
/* Draw to path (.png/.svg/.pdf); stats may be NULL. */
int spill__chart_draw(spill_ctx *ctx, const spill__chart *c, const char *path, spill__chart_stats *stats);

/* The font family of every figure (CJK-capable). */
const char *spill__chart_font_family(void);

/* Gaussian kernel density of x[0..n) at grid g[0..m) into f; bandwidth by
 * Silverman's rule (Silverman 1986, eq. 3.31) when bw <= 0. Non-finite x
 * are skipped. Returns the bandwidth used (0 when fewer than 2 values). */
double spill__kde(const double *x, size_t n, const double *g, size_t m, double bw, double *f);
/* Histogram of x as a density: k equal bins over [lo, hi]; centres and
 * heights into c[k], h[k]; returns the bin width. */
double spill__histogram(const double *x, size_t n, double lo, double hi, int k, double *c, double *h);

#endif
