/* Global Moran's I and Geary's C with their moments under normality and
 * randomisation (Cliff and Ord 1981, ch. 2, as spdep moran.test and
 * geary.test), a permutation pseudo p-value, and the by-period table. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "estimation/estimation.h"
#include "estimation/moran.h"
#include "estimation/report.h"

/* Upper normal tail. */
static double norm_sf(double z) { return 0.5 * erfc(z / sqrt(2.0)); }

int spill__w_find(const spill_weights *w, int64_t i, int64_t j, double *v)
{
  int64_t lo = w->p[i], hi = w->p[i + 1];
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (w->j[mid] < j) lo = mid + 1;
    else hi = mid;
  }
  if (lo < w->p[i + 1] && w->j[lo] == j) {
    *v = w->x[lo];
    return 1;
  }
  *v = 0.0;
  return 0;
}

/* S0 = sum w_ij, S1 = 1/2 sum_ij (w_ij + w_ji)^2, S2 = sum_i (w_i. + w_.i)^2
 * (Cliff and Ord 1981, eq. 1.38). A stored entry whose transpose is stored
 * too carries half of its pair's two ordered terms, one stored alone both. */
int spill__w_sums(spill_ctx *ctx, const spill_weights *w, double *s0, double *s1, double *s2)
{
  int64_t n = w->n;
  double *cs = spill__calloc(ctx, (size_t)(n ? n : 1), sizeof *cs);
  double a = 0, b = 0, c = 0;
  if (!cs) return SPILL_ENOMEM;
  for (int64_t i = 0; i < n; i++)
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) cs[w->j[q]] += w->x[q];
  for (int64_t i = 0; i < n; i++) {
    double rs = 0;
    for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
      double wij = w->x[q], wji;
      int both = spill__w_find(w, w->j[q], i, &wji);
      rs += wij;
      b += (both ? 0.5 : 1.0) * (wij + wji) * (wij + wji);
    }
    a += rs;
    c += (rs + cs[i]) * (rs + cs[i]);
  }
  *s0 = a;
  *s1 = b;
  *s2 = c;
  free(cs);
  return SPILL_OK;
}

/* z'(I_t x W)z and sum_ij w_ij (z_i - z_j)^2 over the periods. */
static void cross_products(const spill_weights *w, const double *z, int64_t t, double *zwz, double *gsum)
{
  int64_t n = w->n;
  double a = 0, g = 0;
  for (int64_t s = 0; s < t; s++) {
    const double *zs = z + s * n;
    for (int64_t i = 0; i < n; i++) {
      double acc = 0, gg = 0;
      for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) {
        double d = zs[i] - zs[w->j[q]];
        acc += w->x[q] * zs[w->j[q]];
        gg += w->x[q] * d * d;
      }
      a += zs[i] * acc;
      g += gg;
    }
  }
  *zwz = a;
  *gsum = g;
}

int spill_moran_test(spill_ctx *ctx, const spill_weights *w, const double *x, int64_t t, int perm,
                     uint64_t seed, spill_moran *o)
{
  int64_t n1 = w->n, n = n1 * t;
  double mean = 0, m2 = 0, m4 = 0, s0, s1, s2, zwz, g, nn, K, dn;
  double *z = NULL;
  int rc;
  memset(o, 0, sizeof *o);
  o->pi_perm = o->pc_perm = o->perm_mean_i = o->perm_sd_i = NAN;
  if (t < 1 || n1 < 4) return spill__fail(ctx, SPILL_EDATA, "Moran's I needs at least 4 units (W has %lld)", (long long)n1);
  if (perm < 0) return spill__fail(ctx, SPILL_EINVAL, "permutations must be >= 0 (got %d)", perm);
  for (int64_t q = 0; q < n; q++) {
    if (!isfinite(x[q]))
      return spill__fail(ctx, SPILL_EDATA,
                         "unit '%s'%s%lld: the value is missing or not finite; Moran's I needs every unit "
                         "(drop the unit from W with spill weights subset, or fill the value)",
                         w->ids[q % n1], t > 1 ? ", period " : "", t > 1 ? (long long)(q / n1 + 1) : 0LL);
    mean += x[q];
  }
  mean /= (double)n;
  if ((rc = spill__w_sums(ctx, w, &s0, &s1, &s2))) return rc;
  if (!(s0 != 0)) return spill__fail(ctx, SPILL_EDATA, "W has no links (all weights zero): Moran's I is undefined");
  /* I_t (x) W: each sum over t identical blocks */
  s0 *= (double)t;
  s1 *= (double)t;
  s2 *= (double)t;
  if (!(z = spill__malloc(ctx, (size_t)n * sizeof *z))) return SPILL_ENOMEM;
  for (int64_t q = 0; q < n; q++) {
    z[q] = x[q] - mean;
    m2 += z[q] * z[q];
    m4 += z[q] * z[q] * z[q] * z[q];
  }
  if (!(m2 > 0)) {
    free(z);
    return spill__fail(ctx, SPILL_EDATA, "the variable is constant: Moran's I and Geary's C are undefined");
  }
  cross_products(w, z, t, &zwz, &g);
  {
    /* units without neighbours do not count in n (spdep's adjust.n = TRUE);
     * the kurtosis uses every value, as spdep's moran() */
    int64_t isl = 0;
    for (int64_t i = 0; i < n1; i++) isl += w->p[i + 1] == w->p[i];
    dn = (double)(n - isl * t);
  }
  nn = dn * dn;
  K = (double)n * m4 / (m2 * m2); /* kurtosis b2 */
  o->n = (int64_t)dn;
  o->s0 = s0;
  o->s1 = s1;
  o->s2 = s2;
  /* Moran: moran_i = (n/S0) z'Wz/z'z, E = -1/(n-1) (Cliff and Ord 1981, eq. 2.27-2.28) */
  o->moran_i = dn / s0 * zwz / m2;
  o->ei = -1.0 / (dn - 1);
  o->vi_norm = (nn * s1 - dn * s2 + 3 * s0 * s0) / (s0 * s0 * (nn - 1)) - o->ei * o->ei;
  o->vi_rand = (dn * ((nn - 3 * dn + 3) * s1 - dn * s2 + 3 * s0 * s0) -
                K * ((nn - dn) * s1 - 2 * dn * s2 + 6 * s0 * s0)) /
                   ((dn - 1) * (dn - 2) * (dn - 3) * s0 * s0) -
               o->ei * o->ei;
  o->zi_norm = (o->moran_i - o->ei) / sqrt(o->vi_norm);
  o->zi_rand = (o->moran_i - o->ei) / sqrt(o->vi_rand);
  o->pi_norm = norm_sf(o->zi_norm);
  o->pi_rand = norm_sf(o->zi_rand);
  /* Geary: C = (n-1) sum w_ij (x_i - x_j)^2 / (2 S0 z'z), E = 1 (Cliff and Ord 1981, eq. 2.35-2.36) */
  o->geary_c = (dn - 1) * g / (2 * s0 * m2);
  o->ec = 1.0;
  o->vc_norm = ((2 * s1 + s2) * (dn - 1) - 4 * s0 * s0) / (2 * (dn + 1) * s0 * s0);
  o->vc_rand = ((dn - 1) * s1 * (nn - 3 * dn + 3 - (dn - 1) * K) -
                0.25 * (dn - 1) * s2 * (nn + 3 * dn - 6 - (nn - dn + 2) * K) +
                s0 * s0 * (nn - 3 - (dn - 1) * (dn - 1) * K)) /
               (dn * (dn - 2) * (dn - 3) * s0 * s0);
  o->zc_norm = (1 - o->geary_c) / sqrt(o->vc_norm);
  o->zc_rand = (1 - o->geary_c) / sqrt(o->vc_rand);
  o->pc_norm = norm_sf(o->zc_norm);
  o->pc_rand = norm_sf(o->zc_rand);

  o->perm = perm;
  o->seed = seed;
  if (perm > 0) {
    spill_rng rng;
    long ge = 0, le = 0;
    double sum = 0, sum2 = 0;
    spill_rng_seed(&rng, seed);
    for (int r = 0; r < perm; r++) {
      double a, gg, ip, cp;
      /* Fisher-Yates on the centred values (z'z is invariant) */
      for (int64_t q = n - 1; q > 0; q--) {
        int64_t k = (int64_t)(spill_rng_uniform(&rng) * (double)(q + 1));
        double tmp = z[q];
        if (k > q) k = q;
        z[q] = z[k];
        z[k] = tmp;
      }
      cross_products(w, z, t, &a, &gg);
      ip = dn / s0 * a / m2;
      cp = (dn - 1) * gg / (2 * s0 * m2);
      ge += ip >= o->moran_i;
      le += cp <= o->geary_c;
      sum += ip;
      sum2 += ip * ip;
    }
    o->pi_perm = (double)(ge + 1) / (perm + 1);
    o->pc_perm = (double)(le + 1) / (perm + 1);
    o->perm_mean_i = sum / perm;
    o->perm_sd_i = perm > 1 ? sqrt(fmax(0, (sum2 - sum * sum / perm) / (perm - 1))) : NAN;
  }
  free(z);
  return SPILL_OK;
}

void spill_moran_table_free(spill_moran_table *tab)
{
  if (!tab) return;
  if (tab->label)
    for (size_t r = 0; r < tab->count; r++) free(tab->label[r]);
  free(tab->label);
  free(tab->row);
  free(tab->variable);
  free(tab);
}

spill_moran_table *spill_moran_by_period(spill_ctx *ctx, const spill_weights *w, const double *x,
                                         int64_t t, const int64_t *times, const char *variable,
                                         int perm, uint64_t seed)
{
  size_t rows = (size_t)t + (t > 1 ? 1 : 0);
  spill_moran_table *tab = spill__calloc(ctx, 1, sizeof *tab);
  if (!tab) return NULL;
  tab->label = spill__calloc(ctx, rows, sizeof *tab->label);
  tab->row = spill__calloc(ctx, rows, sizeof *tab->row);
  tab->variable = spill__strdup(ctx, variable ? variable : "x");
  if (!tab->label || !tab->row || !tab->variable) goto fail;
  for (size_t r = 0; r < rows; r++) {
    char lab[32];
    int pooled = r == (size_t)t;
    if (pooled) snprintf(lab, sizeof lab, "pooled");
    else if (t == 1 && !times) snprintf(lab, sizeof lab, "all");
    else snprintf(lab, sizeof lab, "%lld", (long long)(times ? times[r] : (int64_t)r + 1));
    if (!(tab->label[r] = spill__strdup(ctx, lab))) goto fail;
    tab->count = r + 1;
    /* each row its own stream, so a row does not depend on the others */
    if (spill_moran_test(ctx, w, pooled ? x : x + (size_t)r * (size_t)w->n, pooled ? t : 1, perm,
                         seed + 0x9E3779B97F4A7C15ULL * r, &tab->row[r])) {
      spill__fail_prefix(ctx, "%s, %s: ", tab->variable, lab);
      goto fail;
    }
    spill__progress(ctx, "Moran's I", (double)(r + 1) / (double)rows);
  }
  return tab;
fail:
  spill_moran_table_free(tab);
  return NULL;
}

static void print_text(const spill_moran_table *tab, FILE *out)
{
  fprintf(out, "Global spatial autocorrelation of %s (one-sided p: positive autocorrelation)\n", tab->variable);
  fprintf(out, "%-8s %10s %10s %9s %9s %10s %9s %9s", "period", "Moran I", "E(I)", "z norm", "z rand",
          "Geary C", "z norm", "z rand");
  if (tab->count && tab->row[0].perm) fprintf(out, " %9s %9s", "p perm I", "p perm C");
  fputc('\n', out);
  for (size_t r = 0; r < tab->count; r++) {
    const spill_moran *m = &tab->row[r];
    fprintf(out, "%-8s %10.6f %10.6f %6.3f%-3s %6.3f%-3s %10.6f %6.3f%-3s %6.3f%-3s", tab->label[r], m->moran_i, m->ei,
            m->zi_norm, spill__stars(m->pi_norm), m->zi_rand, spill__stars(m->pi_rand), m->geary_c, m->zc_norm,
            spill__stars(m->pc_norm), m->zc_rand, spill__stars(m->pc_rand));
    if (m->perm) fprintf(out, " %9.4f %9.4f", m->pi_perm, m->pc_perm);
    fputc('\n', out);
  }
  if (tab->count && tab->row[0].perm)
    fprintf(out, "Permutation p: (#{permuted >= observed} + 1)/(%d + 1), seed %llu\n", tab->row[0].perm,
            (unsigned long long)tab->row[0].seed);
  fputs("* p<0.1, ** p<0.05, *** p<0.01 (normal approximation, one-sided)\n", out);
}

static void print_csv(const spill_moran_table *tab, FILE *out)
{
  fputs("variable,period,n,moran_i,e_i,var_i_norm,z_i_norm,p_i_norm,var_i_rand,z_i_rand,p_i_rand,"
        "geary_c,e_c,var_c_norm,z_c_norm,p_c_norm,var_c_rand,z_c_rand,p_c_rand,perm,p_i_perm,p_c_perm\n",
        out);
  for (size_t r = 0; r < tab->count; r++) {
    const spill_moran *m = &tab->row[r];
    fprintf(out, "%s,%s,%lld,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,"
                 "%.17g,%d,",
            tab->variable, tab->label[r], (long long)m->n, m->moran_i, m->ei, m->vi_norm, m->zi_norm, m->pi_norm, m->vi_rand,
            m->zi_rand, m->pi_rand, m->geary_c, m->ec, m->vc_norm, m->zc_norm, m->pc_norm, m->vc_rand, m->zc_rand, m->pc_rand,
            m->perm);
    if (m->perm) fprintf(out, "%.17g,%.17g\n", m->pi_perm, m->pc_perm);
    else fputs(",\n", out);
  }
}

static void print_latex(const spill_moran_table *tab, FILE *out)
{
  int perm = tab->count && tab->row[0].perm;
  fprintf(out, "\\begin{tabular}{l%s}\n\\toprule\n", perm ? "rrrrrr" : "rrrr");
  fprintf(out, "Period & Moran's $I$ & $z$ (rand.) & Geary's $C$ & $z$ (rand.)%s \\\\\n\\midrule\n",
          perm ? " & $p_I$ (perm.) & $p_C$ (perm.)" : "");
  for (size_t r = 0; r < tab->count; r++) {
    const spill_moran *m = &tab->row[r];
    fprintf(out, "%s & %.4f & %.3f$^{%s}$ & %.4f & %.3f$^{%s}$", tab->label[r], m->moran_i, m->zi_rand,
            spill__stars(m->pi_rand), m->geary_c, m->zc_rand, spill__stars(m->pc_rand));
    if (perm) fprintf(out, " & %.3f & %.3f", m->pi_perm, m->pc_perm);
    fputs(" \\\\\n", out);
  }
  fputs("\\bottomrule\n\\end{tabular}\n", out);
}

static json_t *num(double v) { return isfinite(v) ? json_real(v) : json_null(); }

static int print_json(spill_ctx *ctx, const spill_moran_table *tab, FILE *out)
{
  json_t *root = json_object(), *rows = json_array();
  int rc = SPILL_OK;
  json_object_set_new(root, "variable", json_string(tab->variable));
  for (size_t r = 0; r < tab->count; r++) {
    const spill_moran *m = &tab->row[r];
    json_t *o = json_object(), *mi = json_object(), *gc = json_object();
    json_object_set_new(o, "period", json_string(tab->label[r]));
    json_object_set_new(o, "n", json_integer(m->n));
    json_object_set_new(mi, "statistic", num(m->moran_i));
    json_object_set_new(mi, "expectation", num(m->ei));
    json_object_set_new(mi, "var_normality", num(m->vi_norm));
    json_object_set_new(mi, "z_normality", num(m->zi_norm));
    json_object_set_new(mi, "p_normality", num(m->pi_norm));
    json_object_set_new(mi, "var_randomisation", num(m->vi_rand));
    json_object_set_new(mi, "z_randomisation", num(m->zi_rand));
    json_object_set_new(mi, "p_randomisation", num(m->pi_rand));
    json_object_set_new(mi, "p_permutation", num(m->pi_perm));
    json_object_set_new(gc, "statistic", num(m->geary_c));
    json_object_set_new(gc, "expectation", num(m->ec));
    json_object_set_new(gc, "var_normality", num(m->vc_norm));
    json_object_set_new(gc, "z_normality", num(m->zc_norm));
    json_object_set_new(gc, "p_normality", num(m->pc_norm));
    json_object_set_new(gc, "var_randomisation", num(m->vc_rand));
    json_object_set_new(gc, "z_randomisation", num(m->zc_rand));
    json_object_set_new(gc, "p_randomisation", num(m->pc_rand));
    json_object_set_new(gc, "p_permutation", num(m->pc_perm));
    json_object_set_new(o, "moran", mi);
    json_object_set_new(o, "geary", gc);
    json_object_set_new(o, "permutations", json_integer(m->perm));
    if (m->perm) json_object_set_new(o, "seed", json_integer((json_int_t)m->seed));
    json_array_append_new(rows, o);
  }
  json_object_set_new(root, "rows", rows);
  if (json_dumpf(root, out, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) != 0)
    rc = spill__fail(ctx, SPILL_EIO, "writing JSON failed");
  json_decref(root);
  return rc;
}

static int write_table(spill_ctx *ctx, const void *obj, FILE *out, int fmt)
{
  const spill_moran_table *tab = obj;
  switch (fmt) {
  case SPILL_TABLE_CSV: print_csv(tab, out); break;
  case SPILL_TABLE_LATEX: print_latex(tab, out); break;
  case SPILL_TABLE_JSON: return print_json(ctx, tab, out);
  default: print_text(tab, out);
  }
  return ferror(out) ? spill__fail(ctx, SPILL_EIO, "writing the Moran table failed") : SPILL_OK;
}

int spill_moran_table_print(spill_ctx *ctx, const spill_moran_table *tab, FILE *out, spill_table_fmt fmt)
{
  int rc = write_table(ctx, tab, out, (int)fmt);
  if (!rc && fmt == SPILL_TABLE_JSON) fputc('\n', out);
  return rc;
}

int spill_moran_table_save(spill_ctx *ctx, const spill_moran_table *tab, const char *path,
                           spill_table_fmt fmt)
{
  return spill__save_table(ctx, path, write_table, tab, (int)fmt, 1);
}
