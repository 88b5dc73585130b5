/* Absorbed effects for the ML models (spill fit --absorb with sdm, sar,
 * sem, ...): the within transform keeps the unit and time effects; a further
 * term either nests in them (nothing to add) or enters X as dummy or trend
 * columns without W terms, as a user of Stata's xsmle would add
 * i.prov#i.year by hand and leave it out of durbin(). */
#include <stdlib.h>
#include <string.h>
#include "core/table.h"
#include "estimation/absorb.h"
#include "estimation/estimation.h"

/* Append one column (n*t) named name to p->x; 0 or SPILL_ENOMEM. */
static int append(spill_ctx *ctx, spill_panel *p, const double *v, const char *name)
{
  size_t nt = (size_t)(p->n * p->t);
  double *x = realloc(p->x, (p->nx + 1) * nt * sizeof *x);
  char **nm, *s;
  if (!x) return spill__fail(ctx, SPILL_ENOMEM, "absorb: out of memory");
  p->x = x;
  nm = realloc(p->x_names, (p->nx + 1) * sizeof *nm);
  if (!nm) return spill__fail(ctx, SPILL_ENOMEM, "absorb: out of memory");
  p->x_names = nm;
  if (!(s = spill__strdup(ctx, name))) return SPILL_ENOMEM;
  memcpy(x + p->nx * nt, v, nt * sizeof *x);
  nm[p->nx++] = s;
  return SPILL_OK;
}

int spill_panel_add_absorb_columns(spill_ctx *ctx, spill_panel *p, const char *path, const char *id_col,
                                   const char *time_col, const char *const *terms, size_t nterms, spill_fe fe,
                                   int intercept, size_t *added)
{
  int64_t n = p->n, t = p->t;
  size_t nt = (size_t)(n * t);
  int unit_fe = fe == SPILL_FE_UNIT || fe == SPILL_FE_TWOWAYS, time_fe = fe == SPILL_FE_TIME || fe == SPILL_FE_TWOWAYS;
  int rc = SPILL_OK;
  spill__table *tb = NULL;
  int32_t *ca = NULL, *cb = NULL;
  double *v = NULL, tbar = 0.0;
  long cid;
  *added = 0;
  if (!nterms) return SPILL_OK;
  if (fe == SPILL_FE_RANDOM)
    return spill__fail(ctx, SPILL_EINVAL, "--absorb: not with random effects (the dummies would be correlated "
                                          "with the random unit effects); use --fe twoways or unit");
  if (!(tb = spill__table_read(ctx, path))) return ctx->status;
  ca = spill__malloc(ctx, (nt ? nt : 1) * sizeof *ca);
  cb = spill__malloc(ctx, (nt ? nt : 1) * sizeof *cb);
  v = spill__malloc(ctx, (nt ? nt : 1) * sizeof *v);
  if (!ca || !cb || !v) {
    rc = SPILL_ENOMEM;
    goto done;
  }
  if ((cid = spill__table_require_col(ctx, tb, id_col)) < 0) {
    rc = ctx->status;
    goto done;
  }
  for (int64_t s = 0; s < t; s++) tbar += (double)p->times[s] / (double)t;
  for (size_t q = 0; q < nterms && !rc; q++) {
    const char *term = terms[q], *h = strchr(term, '#');
    char a[128], b[128], name[400];
    int32_t la = 0, lb = 0;
    size_t before = p->nx, spanned = 0;
    snprintf(a, sizeof a, "%.*s", h ? (int)(h - term) : (int)strlen(term), term);
    snprintf(b, sizeof b, "%s", h ? h + 1 : "");
    if (strchr(b, '#')) {
      rc = spill__fail(ctx, SPILL_EINVAL, "--absorb %s: at most two columns per term (A#B)", term);
      break;
    }
    if ((rc = spill__absorb_factor(ctx, tb, cid, id_col, time_col, a, p, ca, &la))) {
      spill__fail_prefix(ctx, "--absorb %s: ", term);
      break;
    }
    if (!strncmp(b, "c.", 2)) {
      /* A#c.TIME: a linear trend per level of A (centred); the time effects
       * span their sum when A is fixed within units (the common trend) */
      int a_time = !strcmp(a, time_col);
      if (strcmp(b + 2, time_col)) {
        rc = spill__fail(ctx, SPILL_EINVAL, "--absorb %s: slopes are supported on the time column '%s' (trends)",
                         term, time_col);
        break;
      }
      if (a_time) {
        rc = spill__fail(ctx, SPILL_EINVAL, "--absorb %s: a trend per period is a period effect; absorb '%s'",
                         term, time_col);
        break;
      }
      for (int32_t l = 0; l < la && !rc; l++) {
        if (l == 0 && time_fe) {
          spanned++;
          continue;
        }
        for (int64_t s = 0; s < t; s++)
          for (int64_t i = 0; i < n; i++)
            v[s * n + i] = ca[s * n + i] == l ? (double)p->times[s] - tbar : 0.0;
        snprintf(name, sizeof name, "%s[%d]", term, (int)l + 1);
        rc = append(ctx, p, v, name);
      }
    } else {
      /* factors: a side fixed within units, a side that is the period */
      int a_time = !strcmp(a, time_col), b_time = *b && !strcmp(b, time_col), has_unit, has_time;
      if (*b && (rc = spill__absorb_factor(ctx, tb, cid, id_col, time_col, b, p, cb, &lb))) {
        spill__fail_prefix(ctx, "--absorb %s: ", term);
        break;
      }
      has_time = a_time || b_time;
      has_unit = !a_time || (*b && !b_time);
      if ((has_unit && !has_time && unit_fe) || (has_time && !has_unit && time_fe)) {
        spill__notice(ctx, "--absorb %s: %s absorbed by the %s effects already; nothing to add", term,
                      has_unit ? "a factor fixed within units is" : "the period is", has_unit ? "unit" : "time");
        continue;
      }
      if (has_unit && has_time) {
        /* unit side u, period s: the unit effects span each u's dummies over
         * the periods (drop its first period), the time effects each
         * period's dummies over u (drop the first u) */
        const int32_t *cu = a_time ? cb : ca;
        int32_t lu = a_time ? lb : la;
        for (int32_t u = 0; u < lu && !rc; u++)
          for (int64_t s = 0; s < t && !rc; s++) {
            int any = 0;
            if ((unit_fe && s == 0) || (time_fe && u == 0) || (!unit_fe && !time_fe && intercept && u == 0 && s == 0)) {
              spanned++;
              continue;
            }
            for (int64_t s2 = 0; s2 < t; s2++)
              for (int64_t i = 0; i < n; i++) {
                double on = s2 == s && cu[s2 * n + i] == u && (!p->obs || p->obs[s2 * n + i]);
                v[s2 * n + i] = on;
                any |= on != 0.0;
              }
            if (!any) continue;
            snprintf(name, sizeof name, "%s[%d,%lld]", term, (int)u + 1, (long long)p->times[s]);
            rc = append(ctx, p, v, name);
          }
      } else {
        /* one factor (or two on the same side): its levels less the first,
         * which the fixed effects or the constant span */
        int32_t lv = la;
        if (*b && (rc = spill__absorb_interact(ctx, ca, cb, (int64_t)nt, ca, &lv))) break;
        for (int32_t l = 0; l < lv && !rc; l++) {
          if (l == 0 && (unit_fe || time_fe || intercept)) {
            spanned++;
            continue;
          }
          for (size_t r = 0; r < nt; r++) v[r] = ca[r] == l;
          snprintf(name, sizeof name, "%s[%d]", term, (int)l + 1);
          rc = append(ctx, p, v, name);
        }
      }
    }
    if (!rc)
      spill__notice(ctx, "--absorb %s: %zu dummy/trend columns added to X without W terms (%zu spanned by the "
                         "fixed effects left out)",
                    term, p->nx - before, spanned);
    *added += p->nx - before;
  }
done:
  free(ca);
  free(cb);
  free(v);
  spill__table_free(tb);
  return rc;
}
