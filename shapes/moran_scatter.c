/* The Moran scatter plot (Anselin 1996): the standardised variable against
 * its spatial lag, with the line of slope Moran's I, drawn by the chart
 * layer. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shapes/chart.h"

int spill_moran_scatter(spill_ctx *ctx, const spill_lisa *l, const char *variable, int width,
                        const char *out_path, spill_scatter_stats *stats)
{
  /* one series per cluster class so the legend explains the colours */
  static const int color[6] = {6, 1, 2, 2, 1, 6}, hollow[6] = {1, 0, 0, 1, 1, 1};
  spill__chart c;
  spill__chart_stats cs;
  spill__panel *pn;
  double *xs = NULL, *ys = NULL, lx[2], ly[2], lim = 0, slope;
  size_t off[7] = {0};
  char title[160], xlab[120], ylab[140], labels[6][64], note[200];
  int rc;
  if (!l || !out_path) return spill__fail(ctx, SPILL_EINVAL, "spill_moran_scatter: no LISA result or output path");
  if (width && (width < 200 || width > 20000))
    return spill__fail(ctx, SPILL_EINVAL, "scatter width %d is out of range (200 to 20000)", width);
  xs = spill__malloc(ctx, (size_t)(l->n ? l->n : 1) * sizeof *xs);
  ys = spill__malloc(ctx, (size_t)(l->n ? l->n : 1) * sizeof *ys);
  if (!xs || !ys) {
    free(xs);
    free(ys);
    return SPILL_ENOMEM;
  }
  /* group the points by class: counting sort */
  for (int64_t i = 0; i < l->n; i++) off[l->cluster[i] + 1]++;
  for (int c5 = 0; c5 < 6; c5++) off[c5 + 1] += off[c5];
  {
    size_t pos[6];
    memcpy(pos, off, sizeof pos);
    for (int64_t i = 0; i < l->n; i++) {
      size_t q = pos[l->cluster[i]]++;
      xs[q] = l->zs[i];
      ys[q] = l->lag[i];
      if (isfinite(l->zs[i])) lim = fmax(lim, fabs(l->zs[i]));
      if (isfinite(l->lag[i])) lim = fmax(lim, fabs(l->lag[i]));
    }
  }
  lim = lim > 0 ? lim * 1.08 : 1;
  spill__chart_init(&c);
  c.npanels = 1;
  c.panel_width = width > 0 ? width : 900;
  c.height = c.panel_width * 0.92;
  pn = &c.panel[0];
  snprintf(title, sizeof title, "Moran scatter plot: %s (Moran's I = %.4f)", variable ? variable : "x", l->global_i);
  snprintf(xlab, sizeof xlab, "%s (standardised)", variable ? variable : "x");
  snprintf(ylab, sizeof ylab, "spatial lag of %s (standardised)", variable ? variable : "x");
  pn->title = title;
  pn->xlabel = xlab;
  pn->ylabel = ylab;
  pn->xmin = pn->ymin = -lim;
  pn->xmax = pn->ymax = lim;
  {
    /* the legend goes in the corner with the fewest points (the chart layer
     * draws it inside the plot): usually Low-High or High-Low */
    static const int pos[4] = {SPILL__LEGEND_TOPLEFT, SPILL__LEGEND_BOTTOMRIGHT, SPILL__LEGEND_TOPRIGHT,
                               SPILL__LEGEND_BOTTOMLEFT};
    static const int sx[4] = {-1, 1, 1, -1}, sy[4] = {1, -1, 1, -1};
    size_t best = (size_t)-1;
    for (int k = 0; k < 4; k++) {
      size_t cnt = 0;
      for (int64_t i = 0; i < l->n; i++)
        cnt += sx[k] * l->zs[i] > 0.15 * lim && sy[k] * l->lag[i] > 0.45 * lim;
      if (cnt < best) {
        best = cnt;
        pn->legend = pos[k];
      }
    }
  }
  spill__chart_ref(pn, 1, 0, 0);
  spill__chart_ref(pn, 0, 0, 0);
  /* the least-squares line of the lag on z: slope I when W is row-standardised */
  {
    double sxy = 0, sxx = 0;
    for (int64_t i = 0; i < l->n; i++) {
      sxy += l->zs[i] * l->lag[i];
      sxx += l->zs[i] * l->zs[i];
    }
    slope = sxx > 0 ? sxy / sxx : 0;
  }
  lx[0] = -lim;
  lx[1] = lim;
  ly[0] = -lim * slope;
  ly[1] = lim * slope;
  {
    static const int order[5] = {0, 4, 3, 2, 1}; /* grey first, significant on top;
                                                    units without neighbours left out */
    for (int r = 0; r < 5; r++) {
      int k = order[r];
      size_t cnt = off[k + 1] - off[k];
      spill__series *s;
      if (!cnt) continue;
      snprintf(labels[k], sizeof labels[k], "%s (%zu)", spill_lisa_cluster_name(k), cnt);
      s = spill__chart_add(pn, SPILL__SERIES_POINTS, cnt, xs + off[k], ys + off[k], labels[k]);
      if (!s) break;
      s->color = color[k];
      s->hollow = hollow[k];
      s->marker = SPILL__MARK_CIRCLE;
      s->size = l->n > 2000 ? 0.28 : l->n > 300 ? 0.38 : 0.55;
    }
  }
  {
    spill__series *s = spill__chart_add(pn, SPILL__SERIES_LINE, 2, lx, ly, NULL);
    if (s) {
      s->color = 0;
      s->line_width = 0.3;
    }
  }
  snprintf(note, sizeof note, "Clusters at p <= %g%s (%s). Line: least squares, slope %.4f.", l->alpha,
           l->fdr ? ", false discovery rate" : "",
           l->perm > 0 ? "conditional permutation pseudo p" : "normal approximation", slope);
  c.note = note;
  rc = spill__chart_draw(ctx, &c, out_path, &cs);
  if (!rc && stats) {
    memset(stats, 0, sizeof *stats);
    stats->width = cs.width;
    stats->height = cs.height;
    memcpy(stats->plot_box, cs.box[0], sizeof stats->plot_box);
    stats->ax = cs.ax[0];
    stats->bx = cs.bx[0];
    stats->ay = cs.ay[0];
    stats->by = cs.by[0];
    stats->markers = cs.markers;
  }
  free(xs);
  free(ys);
  return rc;
}
