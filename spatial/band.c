/* Distance-band, inverse-distance and kernel weights: every unit's
 * neighbours within a distance, from the k-d tree (spatial/distance.c),
 * searched on several threads and assembled in row order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "spatial/parallel.h"
#include "spatial/points.h"

/* What a row holds. */
enum { ROW_BAND, ROW_IDW, ROW_KERNEL };

/* One thread's rows, appended in its order of tree positions. */
typedef struct part {
  int64_t lo, hi;      /* tree positions */
  int64_t *start;      /* hi - lo + 1 offsets into j/x */
  int64_t *j;
  double *x;
  int64_t cap;
} part;

typedef struct row_job {
  const spill__geo *s;
  int kind;
  double km, power;    /* band/idw distance, idw power; kernel fixed bandwidth */
  spill_kernel kernel;
  int k;               /* kernel: adaptive with the k-th neighbour */
  part *parts;
  const char *what;
} row_job;

static int cmp_index(const void *pa, const void *pb)
{
  const spill__nb *a = pa, *b = pb;
  return (a->i > b->i) - (a->i < b->i);
}

/* Order a neighbour list by unit index (the CSR column order). */
static void by_index(spill__nb *nb, int64_t m)
{
  if (m > 16) {
    qsort(nb, (size_t)m, sizeof *nb, cmp_index);
    return;
  }
  for (int64_t c = 1; c < m; c++) {
    spill__nb v = nb[c];
    int64_t q = c - 1;
    while (q >= 0 && nb[q].i > v.i) {
      nb[q + 1] = nb[q];
      q--;
    }
    nb[q + 1] = v;
  }
}

/* Silverman (1986), table 3.1, on z = d/h in [0, 1]. */
static double kernel_value(spill_kernel kind, double z)
{
  switch (kind) {
  case SPILL_KERNEL_TRIANGULAR: return 1.0 - z;
  case SPILL_KERNEL_EPANECHNIKOV: return 0.75 * (1.0 - z * z);
  case SPILL_KERNEL_GAUSSIAN: return exp(-0.5 * z * z) / sqrt(2.0 * 3.14159265358979323846);
  }
  return 0.0;
}

static int part_reserve(spill_ctx *ctx, part *pt, int64_t need)
{
  int64_t cap;
  int64_t *j;
  double *x;
  if (need <= pt->cap) return SPILL_OK;
  cap = pt->cap ? 2 * pt->cap : 4096;
  while (cap < need) cap *= 2;
  j = realloc(pt->j, (size_t)cap * sizeof *j);
  if (j) pt->j = j;
  x = j ? realloc(pt->x, (size_t)cap * sizeof *x) : NULL;
  if (x) pt->x = x;
  if (!j || !x) return spill__fail(ctx, SPILL_ENOMEM, "out of memory building weights (%lld links)", (long long)cap);
  pt->cap = cap;
  return SPILL_OK;
}

static int row_task(spill_ctx *ctx, void *user, int t, int nt)
{
  row_job *job = user;
  const spill__geo *s = job->s;
  part *pt = &job->parts[t];
  int64_t n = s->pts->n, cap = 0, at = 0;
  spill__nb *buf = NULL, *kn = NULL;
  int rc = SPILL_OK;
  pt->lo = n * t / nt;
  pt->hi = n * (t + 1) / nt;
  pt->start = spill__malloc(ctx, (size_t)(pt->hi - pt->lo + 1) * sizeof *pt->start);
  if (!pt->start) return SPILL_ENOMEM;
  if (job->kind == ROW_KERNEL && job->k > 0 && !(kn = spill__malloc(ctx, (size_t)job->k * sizeof *kn)))
    return SPILL_ENOMEM;
  for (int64_t pos = pt->lo; pos < pt->hi; pos++) {
    int64_t i = s->tree->idx[pos], m;
    double h = job->km;
    pt->start[pos - pt->lo] = at;
    if (job->kind == ROW_KERNEL && job->k > 0) {
      if (spill__geo_knn(ctx, s, i, job->k, 1, kn, &buf, &cap) < 0) {
        rc = spill_ctx_status(ctx);
        break;
      }
      h = kn[job->k - 1].d2;
    }
    m = spill__geo_within(ctx, s, i, h, job->kind != ROW_BAND, &buf, &cap);
    if (m < 0 || (rc = part_reserve(ctx, pt, at + m))) {
      rc = rc ? rc : spill_ctx_status(ctx);
      break;
    }
    by_index(buf, m);
    for (int64_t c = 0; c < m; c++) {
      double v = 1.0, d = buf[c].d2;
      if (job->kind == ROW_IDW) v = job->power == 1.0 ? 1.0 / d : pow(d, -job->power);
      else if (job->kind == ROW_KERNEL && (v = kernel_value(job->kernel, d / h)) <= 0.0) continue;
      pt->j[at] = buf[c].i;
      pt->x[at++] = v;
    }
    if (t == 0 && ((pos - pt->lo) & 4095) == 0)
      spill__progress(ctx, job->what, (double)(pos - pt->lo) / (double)(pt->hi - pt->lo));
  }
  pt->start[pt->hi - pt->lo] = at;
  if (t == 0 && !rc) spill__progress(ctx, job->what, 1.0);
  free(buf);
  free(kn);
  return rc;
}

/* Run the row searches and assemble the rows by unit index. */
static spill_weights *rows_build(spill_ctx *ctx, const spill_points *pts, row_job *job)
{
  spill__geo s;
  spill_weights *w = NULL;
  int nt = spill__thread_count(ctx, pts->n);
  int64_t n = pts->n, total = 0;
  if (spill__geo_init(ctx, &s, pts)) return NULL;
  job->s = &s;
  job->parts = spill__calloc(ctx, (size_t)nt, sizeof *job->parts);
  if (!job->parts || spill__run_parallel(ctx, nt, row_task, job)) goto done;
  for (int t = 0; t < nt; t++) total += job->parts[t].start[job->parts[t].hi - job->parts[t].lo];
  w = spill_weights_new(ctx, n, pts->ids, total);
  if (!w) goto done;
  for (int t = 0; t < nt; t++) {
    part *pt = &job->parts[t];
    for (int64_t pos = pt->lo; pos < pt->hi; pos++)
      w->p[s.tree->idx[pos] + 1] = pt->start[pos - pt->lo + 1] - pt->start[pos - pt->lo];
  }
  for (int64_t i = 0; i < n; i++) w->p[i + 1] += w->p[i];
  for (int t = 0; t < nt; t++) {
    part *pt = &job->parts[t];
    for (int64_t pos = pt->lo; pos < pt->hi; pos++) {
      int64_t i = s.tree->idx[pos], a = pt->start[pos - pt->lo], len = pt->start[pos - pt->lo + 1] - a;
      memcpy(w->j + w->p[i], pt->j + a, (size_t)len * sizeof *w->j);
      memcpy(w->x + w->p[i], pt->x + a, (size_t)len * sizeof *w->x);
    }
  }
done:
  if (job->parts)
    for (int t = 0; t < nt; t++) {
      free(job->parts[t].start);
      free(job->parts[t].j);
      free(job->parts[t].x);
    }
  free(job->parts);
  spill__geo_clear(&s);
  return w;
}

double spill_dense_bytes(int64_t n) { return spill__dense_bytes(n); }

spill_weights *spill_weights_band(spill_ctx *ctx, const spill_points *pts, double threshold_km)
{
  row_job job = {0};
  spill_weights *w;
  if (!(threshold_km > 0) || !isfinite(threshold_km)) {
    spill__fail(ctx, SPILL_EINVAL, "distance band: the threshold must be a positive distance, not %g", threshold_km);
    return NULL;
  }
  job.kind = ROW_BAND;
  job.km = threshold_km;
  job.what = "distance band";
  w = rows_build(ctx, pts, &job);
  if (w) w->style = SPILL_STYLE_B;
  return w;
}

typedef struct dense_job {
  const spill__geo *s;
  spill_weights *w;
  double power;
} dense_job;

/* Rows t, t + nt, ...: the upper triangle of row i (d_ij for j > i). */
static int dense_task(spill_ctx *ctx, void *user, int t, int nt)
{
  dense_job *job = user;
  const spill__geo *s = job->s;
  spill_weights *w = job->w;
  int64_t n = w->n;
  for (int64_t i = t; i < n; i += nt) {
    double *xx = w->x + w->p[i];
    for (int64_t j = i + 1; j < n; j++) {
      double d = spill__geo_dist(s, i, j);
      if (d == 0.0)
        return spill__fail(ctx, SPILL_EDATA, "units '%s' and '%s' are at the same location; merge or drop one",
                           s->pts->ids[i], s->pts->ids[j]);
      xx[j - 1] = job->power == 1.0 ? 1.0 / d : pow(d, -job->power);
    }
    if (t == 0 && (i & 255) == 0) spill__progress(ctx, "inverse distance", (double)i / (double)n);
  }
  if (t == 0) spill__progress(ctx, "inverse distance", 1.0);
  return SPILL_OK;
}

/* Every pair: rows of n-1 entries (no diagonal), each distance computed once
 * (upper triangle in parallel, then mirrored). */
static spill_weights *idw_dense(spill_ctx *ctx, spill__geo *s, double power)
{
  const spill_points *pts = s->pts;
  int64_t n = pts->n;
  dense_job job;
  spill_weights *w;
  if (spill__check_memory(ctx, spill__dense_bytes(n), "a dense inverse-distance matrix")) return NULL;
  w = spill_weights_new(ctx, n, pts->ids, n * (n - 1));
  if (!w) return NULL;
  for (int64_t i = 0; i <= n; i++) w->p[i] = i * (n - 1);
  job.s = s;
  job.w = w;
  job.power = power;
  if (spill__run_parallel(ctx, spill__thread_count(ctx, n * n / 2), dense_task, &job)) {
    spill_weights_free(w);
    return NULL;
  }
  for (int64_t i = 0; i < n; i++) {
    for (int64_t j = 0; j < i; j++) {
      w->j[w->p[i] + j] = j;
      w->x[w->p[i] + j] = w->x[w->p[j] + i - 1];
    }
    for (int64_t j = i + 1; j < n; j++) w->j[w->p[i] + j - 1] = j;
  }
  return w;
}

spill_weights *spill_weights_idw(spill_ctx *ctx, const spill_points *pts, double power, double cutoff_km)
{
  row_job job = {0};
  if (!(power > 0) || !isfinite(power)) {
    spill__fail(ctx, SPILL_EINVAL, "inverse distance: the power must be positive, not %g", power);
    return NULL;
  }
  if (!isfinite(cutoff_km)) {
    spill__fail(ctx, SPILL_EINVAL, "inverse distance: the cutoff must be a distance, not %g", cutoff_km);
    return NULL;
  }
  if (pts->n < 2) {
    spill__fail(ctx, SPILL_EINVAL, "inverse distance needs at least two units");
    return NULL;
  }
  if (cutoff_km <= 0) {
    spill__geo s;
    spill_weights *w;
    /* refuse before any work when the matrix cannot fit */
    if (spill__check_memory(ctx, spill__dense_bytes(pts->n), "a dense inverse-distance matrix")) return NULL;
    if (spill__geo_init(ctx, &s, pts)) return NULL;
    w = idw_dense(ctx, &s, power);
    spill__geo_clear(&s);
    return w;
  }
  job.kind = ROW_IDW;
  job.km = cutoff_km;
  job.power = power;
  job.what = "inverse distance";
  return rows_build(ctx, pts, &job);
}

spill_weights *spill_weights_kernel(spill_ctx *ctx, const spill_points *pts, spill_kernel kind,
                                    double bandwidth_km, int k)
{
  row_job job = {0};
  if (kind != SPILL_KERNEL_TRIANGULAR && kind != SPILL_KERNEL_EPANECHNIKOV && kind != SPILL_KERNEL_GAUSSIAN) {
    spill__fail(ctx, SPILL_EINVAL, "kernel weights: unknown kernel %d", (int)kind);
    return NULL;
  }
  if (k < 0 || (k > 0 && (int64_t)k >= pts->n)) {
    spill__fail(ctx, SPILL_EINVAL, "kernel weights: k = %d, but k must be at least 1 and below the %lld units", k,
                (long long)pts->n);
    return NULL;
  }
  if (k == 0 && (!(bandwidth_km > 0) || !isfinite(bandwidth_km))) {
    spill__fail(ctx, SPILL_EINVAL, "kernel weights: the bandwidth must be a positive distance, not %g", bandwidth_km);
    return NULL;
  }
  job.kind = ROW_KERNEL;
  job.km = bandwidth_km;
  job.kernel = kind;
  job.k = k;
  job.what = "kernel weights";
  return rows_build(ctx, pts, &job);
}
