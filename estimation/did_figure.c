/* The event-time figure of a staggered-DID result: estimates by event time
 * with pointwise intervals and, when bootstrapped, the uniform band; one
 * panel for the treated and one per spillover ring (shapes/chart.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/staggered.h"
#include "shapes/chart.h"

static int event_table(const spill_did_table *t)
{
  return !strcmp(t->name, "event time") ||
         (!strncmp(t->name, "spillover ", 10) && strstr(t->name, " by event time"));
}

int spill_did_plot(spill_ctx *ctx, const spill_did_result *r, const char *path, const char *title)
{
  spill__chart c;
  const spill_did_table *tabs[SPILL__CHART_MAX_PANELS];
  int np = 0, rc;
  size_t total = 0;
  double *buf;
  char ptitle[SPILL__CHART_MAX_PANELS][160], note[256];
  for (size_t k = 0; k < r->ntab && np < SPILL__CHART_MAX_PANELS; k++)
    if (event_table(&r->tab[k]) && r->tab[k].count) {
      tabs[np++] = &r->tab[k];
      total += r->tab[k].count;
    }
  if (!np) return spill__fail(ctx, SPILL_EINVAL, "the result has no event-time estimates to draw");
  if (!(buf = spill__malloc(ctx, 12 * total * sizeof *buf))) return SPILL_ENOMEM;
  spill__chart_init(&c);
  c.title = title ? title
          : r->method == SPILL_DID_CS ? "Callaway-Sant'Anna: effects by event time"
          : r->method == SPILL_DID_IMPUTATION ? "Imputation estimator (Borusyak, Jaravel and Spiess): effects by event time"
                                              : "Two-stage DID (Gardner): effects by event time";
  c.npanels = np;
  c.panel_width = np > 1 ? 560 : 760;
  c.share_y = np > 1; /* effects and spillovers on one scale */
  snprintf(note, sizeof note, "Points: estimates (hollow: before adoption); bars: pointwise %g%% intervals%s.",
           100 * r->level, isfinite(tabs[0]->crit) ? "; thin blue bars: uniform band (sup-t multiplier bootstrap)" : "");
  c.note = note;
  {
    double *p = buf;
    for (int q = 0; q < np; q++) {
      const spill_did_table *t = tabs[q];
      size_t m = t->count, npre = 0, npost = 0;
      double *xpre = p, *ypre = xpre + m, *lpre = ypre + m, *hpre = lpre + m;
      double *xpo = hpre + m, *ypo = xpo + m, *lpo = ypo + m, *hpo = lpo + m, *ulo, *uhi;
      spill__panel *P = &c.panel[q];
      spill__series *s;
      int band = isfinite(t->crit);
      for (size_t j = 0; j < m; j++) {
        const spill_did_row *w = &t->row[j];
        if (w->e < 0) {
          xpre[npre] = (double)w->e;
          ypre[npre] = w->est;
          lpre[npre] = w->lo;
          hpre[npre++] = w->hi;
        } else {
          xpo[npost] = (double)w->e;
          ypo[npost] = w->est;
          lpo[npost] = w->lo;
          hpo[npost++] = w->hi;
        }
      }
      P->integer_x = 1;
      P->legend = SPILL__LEGEND_NONE;
      P->xlabel = q == 0 ? "Periods relative to adoption" : "Periods relative to first exposure";
      P->ylabel = q == 0 ? "Effect" : NULL;
      if (q == 0) snprintf(ptitle[q], sizeof ptitle[q], "Effect on the treated");
      else { /* "spillover RING by event time" -> "Spillover on exposed controls: RING" */
        const char *ring = t->name + 10, *end = strstr(ring, " by event time");
        snprintf(ptitle[q], sizeof ptitle[q], "Spillover on exposed controls: %.*s", (int)(end - ring), ring);
      }
      if (np > 1) P->title = ptitle[q];
      spill__chart_ref(P, 0, 0, 1);
      spill__chart_ref(P, 1, -0.5, 1);
      if (band) { /* the uniform band under the pointwise bars */
        double *xb = p + 8 * m, *yb = xb + m;
        ulo = yb + m;
        uhi = ulo + m;
        (void)uhi;
        for (size_t j = 0; j < m; j++) {
          xb[j] = (double)t->row[j].e;
          yb[j] = t->row[j].est;
          ulo[j] = t->row[j].ulo;
          uhi[j] = t->row[j].uhi;
        }
        s = spill__chart_add(P, SPILL__SERIES_POINTS, m, xb, yb, NULL);
        if (s) {
          s->lo = ulo;
          s->hi = uhi;
          s->color = 2;
          s->size = 0.05;
        }
      }
      if (npre && (s = spill__chart_add(P, SPILL__SERIES_POINTS, npre, xpre, ypre, NULL))) {
        s->lo = lpre;
        s->hi = hpre;
        s->hollow = 1;
        s->color = 0;
      }
      if (npost && (s = spill__chart_add(P, SPILL__SERIES_POINTS, npost, xpo, ypo, NULL))) {
        s->lo = lpo;
        s->hi = hpo;
        s->color = q == 0 ? 1 : 4;
      }
      p += 12 * m;
    }
  }
  rc = spill__chart_draw(ctx, &c, path, NULL);
  free(buf);
  return rc;
}
