/* Private to estimation/: traces of functions of W shared by the effects,
 * their simulation and the per-city effects (LeSage and Pace 2009, ch. 2, 4). */
#ifndef SPILL_EFFECTS_H
#define SPILL_EFFECTS_H

#include "core/internal.h"
#include "estimation/report.h" /* spill__stars, spill__json_number/string */

/* What the effects of one regressor need from W, as functions of rho:
 *   a0 = tr((I - rho W)^-1)/n        a1 = tr((I - rho W)^-1 W)/n
 *   b0 = 1'(I - rho W)^-1 1/n        b1 = 1'(I - rho W)^-1 W 1/n
 * so direct = beta a0 + theta a1 and total = beta b0 + theta b1. */
struct spill_traces {
  int64_t n;
  int method;          /* SPILL_TRACE_EIGEN or SPILL_TRACE_MC */
  double wnorm;        /* max absolute row sum: |tr(W^j)/n|, |1'W^j 1/n| <= wnorm^j */
  int row_stochastic;  /* every row sums to 1: b0 = b1 = 1/(1 - rho) */
  /* EIGEN: the n eigenvalues of W (im all zero when real_spectrum) */
  double *ev_re, *ev_im;
  int real_spectrum;
  /* MC: t[j] = tr(W^j)/n for j = 0..order+1 (exact for j <= 2, Hutchinson
   * above); tr_r[r*(order+2)+j] the estimate of vector r; t_se its MC SE */
  int order;
  int vectors;
  double *t, *t_se, *tr_r;
  /* totals when W is not row-stochastic: s[j] = 1'W^j 1/n exactly, j = 0..order+1 */
  double *s;
};

/* The four functions and their derivatives in rho at rho. trunc receives
 * q^(J+1)/(1 - q), q = |rho| wnorm, the factor of the truncation bound of the
 * power series (0 when exact); a result of the series is off by at most
 * (|beta| + |theta| wnorm) * trunc. Returns -1 when the series does not
 * converge at rho (q >= 1) or rho hits a pole of the eigen form. */
typedef struct spill__tfun {
  double a0, a1, b0, b1;
  double da0, da1, db0, db1;
  double trunc_direct, trunc_total;
} spill__tfun;
int spill__traces_eval(const struct spill_traces *tr, double rho, spill__tfun *f);

/* Monte Carlo standard error of the direct effect beta a0 + theta a1 at rho
 * (0 for exact traces): the spread of the per-vector estimates / sqrt(R). */
double spill__traces_direct_mcse(const struct spill_traces *tr, double beta, double theta, double rho);

/* y = W x (CSR), and y = W'x. */
void spill__wmul(const spill_weights *w, const double *x, double *y);
void spill__wtmul(const spill_weights *w, const double *x, double *y);

/* Sparse LU of A = I - rho W (UMFPACK), to solve A x = b or A'x = b. */
typedef struct spill__lu spill__lu;
spill__lu *spill__lu_new(spill_ctx *ctx, const spill_weights *w, double rho);
/* transpose 0: A x = b; 1: A'x = b. */
int spill__lu_solve(spill_ctx *ctx, spill__lu *lu, int transpose, const double *b, double *x);
void spill__lu_free(spill__lu *lu);

/* Validate options (a clear error instead of a silently short series). */
int spill__effects_opts_check(spill_ctx *ctx, const spill_effects_opts *o);

/* 1 when the fit has a spatial lag of y (SAR, SDM, SAC): rho multiplies the
 * effects. An SEM's or SDEM's spatial parameter is in the errors: no
 * multiplier, so an SDEM's direct effect is beta and its indirect theta. */
static inline int spill__fit_lag(const spill_fit *fit)
{
  return fit->has_rho && fit->model != SPILL_MODEL_SEM && fit->model != SPILL_MODEL_SDEM;
}

/* Series order J such that q^(J+1)/(1-q) <= tol with q = rho_abs * wnorm,
 * clamped to [2, max_order]. */
int spill__series_order(double rho_abs, double wnorm, double tol, int max_order);

/* Regressors that get effects: every coefficient that is neither the constant
 * nor another's W term. Fills idx[] (coefficient index) and widx[] (its W
 * term or -1); returns how many (idx and widx hold fit->k entries). */
size_t spill__effect_terms(const spill_fit *fit, long *idx, long *widx);

/* Lower Cholesky factor L (row-major m x m) of the vcov block over sel[0..m-1]
 * (LAPACK dpotrf). */
int spill__vcov_chol(spill_ctx *ctx, const spill_fit *fit, const long *sel, size_t m, double *L);

/* Order statistics: the q-quantile of x[0..n-1] (sorted in place; type 7). */
double spill__quantile_sorted(const double *x, size_t n, double q);
void spill__sort(double *x, size_t n);
/* Two-sided normal p-value of z. */
double spill__pnorm2(double z);

/* Parameter draws from N(estimate, vcov) over the effect terms (beta, theta
 * of each, in spill__effect_terms order) then rho: v[r*m + a] is draw r of
 * coefficient sel[a] (sel[a] == fit->k for rho). Draws with rho outside
 * (rho_lo, rho_hi), or with |rho| * series_wnorm >= 1 when series_wnorm > 0,
 * are rejected and counted. The same seed gives the same draws. */
typedef struct spill__draws {
  size_t m, n, rejected;
  long *sel;
  long rho_col;   /* column of rho, -1 without rho */
  double *v;
} spill__draws;
int spill__draws_make(spill_ctx *ctx, const spill_fit *fit, double series_wnorm,
                      const spill_effects_opts *opts, spill__draws *d);
void spill__draws_free(spill__draws *d);
/* Column of coefficient coef in the draws, or -1. */
long spill__draws_col(const spill__draws *d, long coef);

/* Mean, SD, z, p and percentile interval of x[0..n-1] (sorts x). */
void spill__stat_summarize(spill_effect_stat *s, double *x, size_t n, double level);
/* Fill the simulation fields of out (effects already set up). */
int spill__effects_simulate(spill_ctx *ctx, const spill_fit *fit, const struct spill_traces *tr,
                            const spill_effects_opts *opts, spill_effects *out);
/* rho range the traces must serve for fit: |rho| + 6 se, within bounds. */
double spill__rho_abs_max(const spill_fit *fit, double wnorm);

/* Table helpers shared with city_effects.c and multiw.c. */
double spill__stat_se(const spill_effect_stat *s); /* sim SD, else delta SE */
double spill__stat_p(const spill_effect_stat *s);  /* sim p, else delta p */
void spill__latex_str(FILE *out, const char *s);
/* " & 0.1234$^{**}$" (no superscript without stars; " & " when not finite). */
void spill__latex_num(FILE *out, double v, double p);
void spill__csv_str(FILE *out, const char *s);

#endif
