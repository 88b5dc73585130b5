/* --years FROM-TO: keep the periods of a panel inside a window. */
#include <stdlib.h>
#include <string.h>
#include "core/internal.h"

/* Keep the columns s0..s0+m-1 of an n x t time-major block. */
static double *cut(spill_ctx *ctx, const double *v, int64_t n, int64_t s0, int64_t m)
{
  double *o = spill__malloc(ctx, (size_t)(n * m > 0 ? n * m : 1) * sizeof *o);
  if (o) memcpy(o, v + s0 * n, (size_t)(n * m) * sizeof *o);
  return o;
}

int spill_panel_keep_years(spill_ctx *ctx, spill_panel *p, long from, long to)
{
  if (from > to) return spill__fail(ctx, SPILL_EINVAL, "--years %ld-%ld: the first year is after the last", from, to);
  int64_t s0 = 0, s1 = p->t;
  while (s0 < p->t && p->times[s0] < from) s0++;
  s1 = s0;
  while (s1 < p->t && p->times[s1] <= to) s1++;
  int64_t m = s1 - s0, n = p->n;
  if (m == 0)
    return spill__fail(ctx, SPILL_EDATA, "--years %ld-%ld: no period of the panel (%lld to %lld) is in the window", from,
                       to, (long long)(p->t ? p->times[0] : 0), (long long)(p->t ? p->times[p->t - 1] : 0));
  if (m == p->t) return SPILL_OK;
  double *y = cut(ctx, p->y, n, s0, m), *d = p->d ? cut(ctx, p->d, n, s0, m) : NULL;
  double *x = spill__malloc(ctx, (size_t)(p->nx * n * m + 1) * sizeof *x);
  int64_t *times = spill__malloc(ctx, (size_t)m * sizeof *times);
  unsigned char *obs = p->obs ? spill__malloc(ctx, (size_t)(n * m)) : NULL;
  if (!y || (p->d && !d) || !x || !times || (p->obs && !obs)) {
    free(y);
    free(d);
    free(x);
    free(times);
    free(obs);
    return SPILL_ENOMEM;
  }
  for (size_t k = 0; k < p->nx; k++)
    memcpy(x + k * (size_t)(n * m), p->x + k * (size_t)(n * p->t) + s0 * n, (size_t)(n * m) * sizeof *x);
  memcpy(times, p->times + s0, (size_t)m * sizeof *times);
  if (obs) memcpy(obs, p->obs + s0 * n, (size_t)(n * m));
  spill__notice(ctx, "--years %ld-%ld: %lld of %lld periods kept (%lld to %lld)", from, to, (long long)m,
                (long long)p->t, (long long)times[0], (long long)times[m - 1]);
  free(p->y);
  free(p->d);
  free(p->x);
  free(p->times);
  free(p->obs);
  p->y = y;
  p->d = d;
  p->x = x;
  p->times = times;
  p->obs = obs;
  p->t = m;
  return SPILL_OK;
}
