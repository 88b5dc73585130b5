/* Local Moran (LISA; Anselin 1995) with spdep localmoran's moments,
 * conditional-permutation pseudo p-values (GeoDa; spdep localmoran_perm),
 * cluster classes with an optional false discovery rate, and CSV output. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "estimation/estimation.h"
#include "estimation/moran.h"

void spill_lisa_opts_init(spill_lisa_opts *o)
{
  memset(o, 0, sizeof *o);
  o->perm = 999;
  o->seed = 1;
  o->alpha = 0.05;
}

void spill_lisa_free(spill_lisa *l)
{
  if (!l) return;
  spill_free_ids(l->ids, l->ids ? l->n : 0);
  free(l->x);
  free(l->zs);
  free(l->lag);
  free(l->ii);
  free(l->e);
  free(l->var);
  free(l->z);
  free(l->p_norm);
  free(l->p_perm);
  free(l->cluster);
  free(l);
}

const char *spill_lisa_cluster_name(int code)
{
  switch (code) {
  case SPILL_LISA_HH: return "High-High";
  case SPILL_LISA_LL: return "Low-Low";
  case SPILL_LISA_LH: return "Low-High";
  case SPILL_LISA_HL: return "High-Low";
  case SPILL_LISA_ISOLATED: return "no neighbours";
  default: return "not significant";
  }
}

/* GeoDa's LISA cluster colours. */
void spill_lisa_cluster_rgb(int code, double rgb[3])
{
  static const unsigned hex[6] = {0xEEEEEE, 0xFF0000, 0x0000FF, 0xA7ADF9, 0xF4ADA8, 0x999999};
  unsigned h = hex[code >= 0 && code <= 5 ? code : 0];
  rgb[0] = ((h >> 16) & 255) / 255.0;
  rgb[1] = ((h >> 8) & 255) / 255.0;
  rgb[2] = (h & 255) / 255.0;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Benjamini and Hochberg (1995): the largest p_(k) <= k alpha / m, or 0. */
static double bh_cut(spill_ctx *ctx, const double *p, int64_t n, double alpha, double *cut)
{
  double *s = spill__malloc(ctx, (size_t)(n ? n : 1) * sizeof *s);
  int64_t m = 0;
  if (!s) return SPILL_ENOMEM;
  for (int64_t i = 0; i < n; i++)
    if (isfinite(p[i])) s[m++] = p[i];
  qsort(s, (size_t)m, sizeof *s, cmp_double);
  *cut = 0;
  for (int64_t k = m; k >= 1; k--)
    if (s[k - 1] <= (double)k * alpha / (double)m) {
      *cut = s[k - 1];
      break;
    }
  free(s);
  return SPILL_OK;
}

/* Conditional permutation (Anselin 1995, sec. 4; GeoDa): x_i stays, its
 * k_i neighbours' values are drawn without replacement from the other n-1
 * by a partial Fisher-Yates shuffle of a pool that is never reset (each
 * draw starts from a permutation, so it stays uniform). Folded count as
 * GeoDa: m = #{I_perm >= I_i}, m = min(m, R - m), p = (m + 1)/(R + 1). */
static int permute(spill_ctx *ctx, const spill_weights *w, const double *zc, double m2, spill_lisa *l)
{
  int64_t n = w->n;
  int64_t *pool = spill__malloc(ctx, (size_t)n * sizeof *pool);
  spill_rng rng;
  if (!pool) return SPILL_ENOMEM;
  for (int64_t q = 0; q < n - 1; q++) pool[q] = q;
  spill_rng_seed(&rng, l->seed);
  for (int64_t i = 0; i < n; i++) {
    int64_t k = w->p[i + 1] - w->p[i];
    long ge = 0;
    const double *wx = w->x + w->p[i];
    double a = zc[i] / m2;
    if (k == 0 || k > n - 1) {
      l->p_perm[i] = NAN;
      continue;
    }
    for (int r = 0; r < l->perm; r++) {
      double acc = 0;
      for (int64_t m = 0; m < k; m++) {
        int64_t pick = m + (int64_t)(spill_rng_uniform(&rng) * (double)(n - 1 - m)), jj, tmp;
        if (pick > n - 2) pick = n - 2;
        tmp = pool[m];
        pool[m] = pool[pick];
        pool[pick] = tmp;
        jj = pool[m] < i ? pool[m] : pool[m] + 1;
        acc += wx[m] * zc[jj];
      }
      ge += a * acc >= l->ii[i];
    }
    if (ge > l->perm - ge) ge = l->perm - ge;
    l->p_perm[i] = (double)(ge + 1) / (l->perm + 1);
    if ((i & 255) == 255) spill__progress(ctx, "LISA permutations", (double)i / (double)n);
  }
  spill__progress(ctx, "LISA permutations", 1.0);
  free(pool);
  return SPILL_OK;
}

spill_lisa *spill_lisa_compute(spill_ctx *ctx, const spill_weights *w, const double *x,
                               const spill_lisa_opts *opts)
{
  spill_lisa_opts def;
  int64_t n = w->n;
  double mean = 0, m2 = 0, m4 = 0, sd, b2, dn = (double)n, zwz = 0, s0 = 0;
  double *zc = NULL, *lagc = NULL;
  spill_lisa *l;
  size_t sz = (size_t)(n ? n : 1) * sizeof(double);
  if (!opts) {
    spill_lisa_opts_init(&def);
    opts = &def;
  }
  if (n < 4) return spill__fail(ctx, SPILL_EDATA, "local Moran needs at least 4 units (W has %lld)", (long long)n), NULL;
  if (opts->perm < 0 || !(opts->alpha > 0 && opts->alpha < 1))
    return spill__fail(ctx, SPILL_EINVAL, "LISA: permutations must be >= 0 and alpha in (0, 1)"), NULL;
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(x[i]))
      return spill__fail(ctx, SPILL_EDATA,
                         "unit '%s': the value is missing or not finite; local Moran needs every unit of W", w->ids[i]),
             NULL;
    mean += x[i];
  }
  mean /= dn;
  if (!(l = spill__calloc(ctx, 1, sizeof *l))) return NULL;
  l->n = n;
  l->ids = spill__calloc(ctx, (size_t)n, sizeof *l->ids);
  l->x = spill__malloc(ctx, sz);
  l->zs = spill__malloc(ctx, sz);
  l->lag = spill__malloc(ctx, sz);
  l->ii = spill__malloc(ctx, sz);
  l->e = spill__malloc(ctx, sz);
  l->var = spill__malloc(ctx, sz);
  l->z = spill__malloc(ctx, sz);
  l->p_norm = spill__malloc(ctx, sz);
  l->p_perm = spill__malloc(ctx, sz);
  l->cluster = spill__calloc(ctx, (size_t)n, sizeof *l->cluster);
  zc = spill__malloc(ctx, sz);
  lagc = spill__malloc(ctx, sz);
  if (!l->ids || !l->x || !l->zs || !l->lag || !l->ii || !l->e || !l->var || !l->z || !l->p_norm ||
      !l->p_perm || !l->cluster || !zc || !lagc)
    goto fail;
  for (int64_t i = 0; i < n; i++)
    if (!(l->ids[i] = spill__strdup(ctx, w->ids[i]))) goto fail;
  l->alpha = opts->alpha;
  l->perm = opts->perm;
  l->fdr = opts->fdr;
  l->seed = opts->seed;
  l->total_var = opts->total_var;
  for (int64_t i = 0; i < n; i++) {
    l->x[i] = x[i];
    zc[i] = x[i] - mean;
    m2 += zc[i] * zc[i];
    m4 += zc[i] * zc[i] * zc[i] * zc[i];
  }
  if (!(m2 > 0)) {
    spill__fail(ctx, SPILL_EDATA, "the variable is constant: local Moran is undefined");
    goto fail;
  }
  m2 /= dn; /* spdep mlvar = TRUE */
  m4 /= dn;
  b2 = m4 / (m2 * m2);
  sd = sqrt(m2 * dn / (dn - 1));
  for (int64_t i = 0; i < n; i++) {
    double acc = 0, wi = 0, wi2 = 0;
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
      acc += w->x[q] * zc[w->j[q]];
      wi += w->x[q];
      wi2 += w->x[q] * w->x[q];
    }
    lagc[i] = acc;
    zwz += zc[i] * acc;
    s0 += wi;
    l->ii[i] = zc[i] / m2 * acc; /* Anselin (1995, eq. 12) */
    if (opts->total_var) { /* total randomisation (Anselin 1995, eq. 13-14; spdep conditional = FALSE) */
      double A = (dn - b2) / (dn - 1), B = (2 * b2 - dn) / ((dn - 1) * (dn - 2));
      l->e[i] = -wi / (dn - 1);
      l->var[i] = A * wi2 + B * (wi * wi - wi2) - l->e[i] * l->e[i];
    } else { /* conditional on x_i (Sokal, Oden and Thomson 1998; spdep >= 1.1 default) */
      l->e[i] = -(zc[i] * zc[i] * wi) / ((dn - 1) * m2);
      l->var[i] = (zc[i] / m2) * (zc[i] / m2) * (dn / (dn - 2)) * (wi2 - wi * wi / (dn - 1)) *
                  (m2 - zc[i] * zc[i] / (dn - 1));
    }
    l->z[i] = (l->ii[i] - l->e[i]) / sqrt(l->var[i]);
    l->p_norm[i] = isfinite(l->z[i]) ? erfc(fabs(l->z[i]) / sqrt(2.0)) : NAN;
    l->zs[i] = zc[i] / sd;
    l->lag[i] = acc / sd;
    l->p_perm[i] = NAN;
  }
  { /* Moran's I with n counting units that have neighbours (spdep's adjust.n), as spill_moran_test */
    int64_t isl = 0;
    for (int64_t i = 0; i < n; i++) isl += w->p[i + 1] == w->p[i];
    l->global_i = s0 != 0 ? (dn - (double)isl) / s0 * zwz / (m2 * dn) : NAN;
  }
  if (l->perm > 0 && permute(ctx, w, zc, m2, l)) goto fail;
  {
    const double *p = l->perm > 0 ? l->p_perm : l->p_norm;
    l->cut = l->alpha;
    if (l->fdr && bh_cut(ctx, p, n, l->alpha, &l->cut)) goto fail;
    for (int64_t i = 0; i < n; i++) {
      int c = SPILL_LISA_NS;
      if (w->p[i + 1] == w->p[i]) c = SPILL_LISA_ISOLATED;
      else if (isfinite(p[i]) && p[i] <= l->cut) /* quadrants as libgeoda's UniLocalMoran */
        c = zc[i] > 0 && lagc[i] < 0 ? SPILL_LISA_HL : zc[i] < 0 && lagc[i] > 0 ? SPILL_LISA_LH
            : zc[i] < 0 && lagc[i] < 0 ? SPILL_LISA_LL : SPILL_LISA_HH;
      l->cluster[i] = c;
      l->counts[c]++;
    }
  }
  free(zc);
  free(lagc);
  return l;
fail:
  free(zc);
  free(lagc);
  spill_lisa_free(l);
  return NULL;
}

int spill_lisa_write_csv(spill_ctx *ctx, const spill_lisa *l, const char *path)
{
  char *tmp = NULL;
  FILE *f = spill__atomic_open(ctx, path, &tmp);
  if (!f) return spill_ctx_status(ctx);
  fputs("id,x,z_std,lag_std,Ii,E_Ii,Var_Ii,Z_Ii,p_norm,p_perm,cluster,cluster_name\n", f);
  for (int64_t i = 0; i < l->n; i++) {
    if (strpbrk(l->ids[i], ",\"\n")) { /* RFC 4180 quoting */
      fputc('"', f);
      for (const char *c = l->ids[i]; *c; c++) {
        if (*c == '"') fputc('"', f);
        fputc(*c, f);
      }
      fputc('"', f);
    } else {
      fputs(l->ids[i], f);
    }
    fprintf(f, ",%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,", l->x[i], l->zs[i], l->lag[i], l->ii[i], l->e[i],
            l->var[i], l->z[i], l->p_norm[i]);
    if (isfinite(l->p_perm[i])) fprintf(f, "%.17g", l->p_perm[i]);
    fprintf(f, ",%d,%s\n", l->cluster[i], spill_lisa_cluster_name(l->cluster[i]));
  }
  return spill__atomic_commit(ctx, f, tmp, path);
}
