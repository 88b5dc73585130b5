/* k-nearest-neighbour weights and the minimum band threshold. Ties at equal
 * distance go to the smaller unit index, so results do not depend on the
 * tree's layout or the number of threads. */
#include <stdlib.h>
#include <string.h>
#include "spatial/parallel.h"
#include "spatial/points.h"

typedef struct knn_job {
  const spill__geo *s;
  spill_weights *w;  /* rows of exactly k, at i * k */
  int64_t k;
  double *nn;        /* min threshold: nearest distance per thread */
} knn_job;

/* The tree positions [lo, hi) of a thread's share: neighbouring queries
 * touch the same part of the tree. */
static void share(int64_t n, int t, int nt, int64_t *lo, int64_t *hi)
{
  *lo = n * t / nt;
  *hi = n * (t + 1) / nt;
}

static int knn_task(spill_ctx *ctx, void *user, int t, int nt)
{
  knn_job *job = user;
  const spill__geo *s = job->s;
  int64_t n = s->pts->n, k = job->k, lo, hi, cap = 0;
  spill__nb *out = spill__malloc(ctx, (size_t)k * sizeof *out), *buf = NULL;
  int rc = SPILL_OK;
  if (!out) return SPILL_ENOMEM;
  share(n, t, nt, &lo, &hi);
  for (int64_t pos = lo; pos < hi; pos++) {
    int64_t i = s->tree->idx[pos];
    int64_t got = spill__geo_knn(ctx, s, i, k, job->w == NULL, out, &buf, &cap);
    if (got < 0) {
      rc = spill_ctx_status(ctx);
      break;
    }
    if (job->w) {
      int64_t *row = job->w->j + i * k;
      if (got != k) {
        rc = spill__fail(ctx, SPILL_EINVAL, "k-nearest neighbours: found %lld neighbours of '%s', expected %lld",
                         (long long)got, s->pts->ids[i], (long long)k);
        break;
      }
      /* the row in column order */
      for (int64_t c = 0; c < got; c++) {
        int64_t r = c - 1, v = out[c].i;
        while (r >= 0 && row[r] > v) {
          row[r + 1] = row[r];
          r--;
        }
        row[r + 1] = v;
      }
    } else if (got && out[0].d2 > job->nn[t]) {
      job->nn[t] = out[0].d2;
    }
    if (t == 0 && ((pos - lo) & 4095) == 0)
      spill__progress(ctx, job->w ? "k-nearest neighbours" : "nearest distances", (double)(pos - lo) / (double)(hi - lo));
  }
  if (t == 0 && !rc) spill__progress(ctx, job->w ? "k-nearest neighbours" : "nearest distances", 1.0);
  free(out);
  free(buf);
  return rc;
}

spill_weights *spill_weights_knn(spill_ctx *ctx, const spill_points *pts, int k)
{
  spill__geo s;
  knn_job job = {0};
  spill_weights *w = NULL;
  int64_t n = pts->n;
  if (k < 1 || (int64_t)k >= n) {
    spill__fail(ctx, SPILL_EINVAL, "k-nearest neighbours: k = %d, but k must be at least 1 and below the %lld units",
                k, (long long)n);
    return NULL;
  }
  if (spill__geo_init(ctx, &s, pts)) return NULL;
  w = spill_weights_new(ctx, n, pts->ids, n * (int64_t)k);
  if (!w) goto fail;
  job.s = &s;
  job.w = w;
  job.k = k;
  if (spill__run_parallel(ctx, spill__thread_count(ctx, n), knn_task, &job)) goto fail;
  for (int64_t i = 0; i < n; i++) w->p[i + 1] = w->p[i] + k;
  for (int64_t q = 0; q < n * (int64_t)k; q++) w->x[q] = 1.0;
  w->style = SPILL_STYLE_B;
  spill__geo_clear(&s);
  return w;
fail:
  spill__geo_clear(&s);
  spill_weights_free(w);
  return NULL;
}

int spill_min_threshold(spill_ctx *ctx, const spill_points *pts, double *km)
{
  spill__geo s;
  knn_job job = {0};
  int rc, nt;
  *km = 0.0;
  if (pts->n < 2) return spill__fail(ctx, SPILL_EINVAL, "a distance threshold needs at least two units");
  if ((rc = spill__geo_init(ctx, &s, pts))) return rc;
  nt = spill__thread_count(ctx, pts->n);
  job.s = &s;
  job.k = 1;
  job.nn = spill__calloc(ctx, (size_t)nt, sizeof *job.nn);
  if (!job.nn) rc = SPILL_ENOMEM;
  else rc = spill__run_parallel(ctx, nt, knn_task, &job);
  for (int t = 0; !rc && t < nt; t++)
    if (job.nn[t] > *km) *km = job.nn[t];
  free(job.nn);
  spill__geo_clear(&s);
  return rc;
}
