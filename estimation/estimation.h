/* Private to estimation/: within transform, design matrices, log-determinants,
 * ML fits, variance and specification tests. Dependency types stay out. */
#ifndef SPILL_ESTIMATION_H
#define SPILL_ESTIMATION_H

#include "core/internal.h"

/* ---- within.c ---- */
/* out = the fixed-effects within transform of the time-major n*t vector v
 * (balanced panel): unit: v_it - vbar_i; time: v_it - vbar_t; two-way:
 * v_it - vbar_i - vbar_t + vbar (Baltagi 2021, sec. 3.2). out may equal v;
 * work holds n + t doubles. */
void spill__within(const double *v, int64_t n, int64_t t, spill_fe fe, double *work, double *out);
/* out = (I_t x W) v for a time-major n*t vector (out must not alias v). */
void spill__wlag(const spill_weights *w, const double *v, int64_t t, double *out);
const char *spill__fe_name(spill_fe fe);

/* ---- within_unbalanced.c: the exact within transform over observed cells ---- */
typedef struct spill__wplan spill__wplan;
/* Plan the projection on unit and/or time dummies over the cells with
 * obs[s*n+i] != 0 (obs NULL: all); two-way factors the normal equations once. */
spill__wplan *spill__wplan_new(spill_ctx *ctx, int64_t n, int64_t t, spill_fe fe,
                               const unsigned char *obs);
void spill__wplan_free(spill__wplan *pl);
/* out = v less its fitted fixed effects on observed cells, 0 elsewhere
 * (out may equal v). */
void spill__wplan_apply(spill__wplan *pl, const double *v, double *out);
/* Fixed effects absorbed (units + periods - connected components for
 * two-way), observed cells, and units with at least one observed cell. */
int64_t spill__wplan_absorbed(const spill__wplan *pl);
int64_t spill__wplan_nobs(const spill__wplan *pl);
int64_t spill__wplan_units(const spill__wplan *pl);

/* ---- interact.c ---- */
/* The spec with its x_cols expanded (interaction terms, when ctx->x_terms)
 * into *out, the product columns appended to tb. *names (NULL when nothing
 * was expanded; else free with spill_free_ids(*names, out->nx)) owns
 * out->x_cols. */
struct spill__table;
int spill__panel_x_terms(spill_ctx *ctx, struct spill__table *tb, const spill_panel_spec *spec,
                         spill_panel_spec *out, char ***names);

/* ---- sample.c ---- */
/* Append id to a short list "a, b, c, ..." (6 ids at most), counting. */
void spill__id_list_add(char *buf, size_t size, int64_t *count, const char *id);
const char *spill__model_name(spill_model m);

/* ---- ols.c: design matrix and least squares ---- */
typedef struct spill__design {
  int64_t n, t, nt;
  size_t k;        /* kept columns */
  double *z;       /* nt x k, column-major, within-transformed */
  double *y, *wy;  /* within-transformed y and (I_T x W) y */
  char **names;    /* k */
  long *wlag;      /* k: index of the column's W term, or -1 */
  long *base;      /* k: for a W term, index of its base column, else -1 */
  long treat;      /* index of the treatment column or -1 */
  int has_const;
  size_t n_omitted;
  char **omitted;
  /* observations and fixed effects (unbalanced panels: fewer than nt) */
  int64_t nobs;    /* observed cells (unobserved ones are zero rows of z, y) */
  int64_t groups;  /* clusters (units) with an observed cell */
  double absorbed; /* fixed effects absorbed by the within transform */
  double *zraw;    /* nt x k untransformed columns (OLS/SLX; NULL in subsets) */
  double *yraw;    /* nt untransformed outcome, 0 at unobserved cells */
  spill_fe fe;     /* the transform applied */
  int splm_wy;     /* 1: lags of transformed data W (Q v); 0: Q (W v) */
  unsigned char *fe_dummy; /* k: 1 for an absorbed-effect column (no W term), or NULL */
} spill__design;

/* Build the (within-transformed) design of a model: [constant], d, x, and
 * with lags=1 W*d, W*x. Constant or collinear columns are dropped in order
 * with a notice (as Stata's "omitted because of collinearity"). splm_wy: see
 * spill_fit_opts. */
spill__design *spill__design_new(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                                 spill_fe fe, int intercept, int lags, int splm_wy);
/* The same with the last nfe columns of p->x absorbed-effect dummies: no W
 * term, flagged in fe_dummy. */
spill__design *spill__design_new_fe(spill_ctx *ctx, const spill_panel *p, const spill_weights *w, spill_fe fe,
                                    int intercept, int lags, int splm_wy, size_t nfe);
/* out = the lag of a transformed column v by the design's convention: W v,
 * then (splm_wy 0) the design's within transform again, so that the lag is
 * Q (W x) = Q W Q x (equal for row-standardised W). work: n + t doubles. */
void spill__design_wlag(const spill__design *d, const spill_weights *w, const double *v, double *work,
                        double *out);
/* A copy keeping only the columns with keep[j] != 0 (names, maps rebuilt). */
spill__design *spill__design_subset(spill_ctx *ctx, const spill__design *d, const int *keep);
void spill__design_free(spill__design *d);

/* Cholesky factor of Z'Z (k x k, upper, column-major) for repeated solves. */
int spill__xtx_chol(spill_ctx *ctx, const double *z, int64_t nt, size_t k, double *r);
/* b = (Z'Z)^-1 Z'v given the factor r from spill__xtx_chol. */
void spill__ls_solve(const double *z, int64_t nt, size_t k, const double *r, const double *v,
                     double *b);
/* Inverse of a symmetric positive definite k x k matrix in place (LAPACK
 * dpotrf/dpotri, full matrix filled). Returns 0 or -1 if not PD. */
int spill__spd_inverse(double *a, size_t k);
/* General inverse (dgetrf/dgetri) in place; 0 or -1 if singular. */
int spill__inverse(double *a, size_t k);

/* OLS/SLX fit into f (coefficients, conventional and cluster-robust SEs). */
/* obs: the panel's observed mask (NULL: balanced). */
int spill__fit_ols(spill_ctx *ctx, const spill__design *d, spill_fe fe, spill_fit *f,
                   const unsigned char *obs);

/* ---- logdet.c: ln|I - rho W| and traces of W (I - rho W)^-1 ---- */
typedef struct spill__ldet spill__ldet;
spill__ldet *spill__ldet_new(spill_ctx *ctx, const spill_weights *w, spill_logdet method);
void spill__ldet_free(spill__ldet *ld);
/* ln|I - rho W|; -INFINITY outside the feasible region. */
int spill__ldet_eval(spill_ctx *ctx, spill__ldet *ld, double rho, double *out);
/* Feasible interval (1/lambda_min, 1/lambda_max) used for the search. */
void spill__ldet_interval(const spill__ldet *ld, double *lo, double *hi);
const char *spill__ldet_name(const spill__ldet *ld);
spill_logdet spill__ldet_method(const spill__ldet *ld);
const spill_weights *spill__ldet_weights(const spill__ldet *ld);
/* With G = W (I - rho W)^-1: tr[0] = tr(G), tr[1] = tr(G G), tr[2] = tr(G'G);
 * and, when m > 0, gv = G v for m column vectors v (n x m, column-major).
 * Exact: dense eigen/LU for the eigen method, sparse solves otherwise. */
int spill__ldet_traces(spill_ctx *ctx, spill__ldet *ld, double rho, const double *v, int64_t m,
                       double *gv, double tr[3]);
/* tr(W (I - rho W)^-1) = -d ln|I - rho W| / d rho. */
int spill__ldet_trace_g(spill_ctx *ctx, spill__ldet *ld, double rho, double *out);
/* x = (I - rho W)^-1 b for m right-hand sides (n x m column-major). */
int spill__ldet_solve(spill_ctx *ctx, spill__ldet *ld, double rho, const double *b, int64_t m,
                      double *x);
/* Factorise I - rho W now, so that solves at rho only read the factor and
 * may run on several threads (each with its context's CHOLMOD common). */
int spill__ldet_prepare(spill_ctx *ctx, spill__ldet *ld, double rho);
/* A second holder of factorisations of the same I - rho W (sparse pattern
 * and symbolic analysis copied), for solves at two values at once (the SAC's
 * rho and lambda); exact Cholesky or LU, no Chebyshev series. */
spill__ldet *spill__ldet_twin(spill_ctx *ctx, const spill__ldet *ld);
/* The same with (I - rho W)' when trans is 1. */
int spill__ldet_solve_t(spill_ctx *ctx, spill__ldet *ld, double rho, int trans, const double *b,
                        int64_t m, double *x);
/* The SAC's exact traces (tr G, GG, G'G, H, HH, H'H, HG, H'G; H at lambda
 * with the twin tw) by the Cholesky similarity: 1 when ld is not Cholesky
 * (use spill__traces_exact_units), else a status. */
int spill__ldet_sac_traces(spill_ctx *ctx, spill__ldet *ld, spill__ldet *tw, double rho, double lambda,
                           double t[8]);
/* Traces of G for the variance: exact (spill__ldet_traces) or, for large n,
 * Hutchinson's estimator with Rademacher probes solved with the one
 * factorisation, with a control variate (ldet_traces.c). The probes are added
 * until the Monte Carlo relative error of every SE of vcov = info^-1 is below
 * 0.1%. fn fills the nv x nv information matrix (row-major) for given traces;
 * vcov receives its inverse. */
typedef void (*spill__info_fn)(void *user, const double *tr, double *info);
int spill__vcov_traces(spill_ctx *ctx, spill__ldet *ld, double rho, size_t nv, spill__info_fn fn,
                       void *user, double *vcov);
/* The same machinery for other traces (the SAC's, of G and of H =
 * W (I - lambda W)^-1): forms fills q[s*ntr + a] for the bs vectors z
 * (n x bs, column-major) with z'X_a z, or (mc) with a control-variate
 * estimate of tr X_a; it runs on several threads (solves through its ctx).
 * spill__vcov_probes adds Rademacher probes in blocks until the MC error of
 * the SEs is below 0.1% (ld's probes and se_mcerr record it); the result
 * does not depend on the thread count. spill__traces_exact_units sums the
 * forms over the n unit vectors (exact traces, no n x n storage), and
 * spill__traces_use_exact says which of the two ld's settings ask for. */
typedef int (*spill__forms_fn)(spill_ctx *ctx, void *user, const double *z, int bs, int mc, double *q);
int spill__vcov_probes(spill_ctx *ctx, spill__ldet *ld, int ntr, spill__forms_fn forms, void *fuser,
                       size_t nv, spill__info_fn fn, void *user, double *vcov);
int spill__traces_exact_units(spill_ctx *ctx, spill__ldet *ld, int ntr, spill__forms_fn forms, void *user,
                              double *t);
int spill__traces_use_exact(const spill__ldet *ld);
/* c = (tr W, tr W^2, tr W'W) */
void spill__w_traces(const spill_weights *w, double c[3]);
/* How the traces were computed: 0 for variance traces auto, 1 exact, 2 Monte
 * Carlo; seed for the probes. */
void spill__ldet_set_traces(spill__ldet *ld, int traces, uint64_t seed);
/* Probes used by the last spill__vcov_traces (0: exact) and the relative MC
 * error of its SEs; the error bound of ln|I - rho W| at rho (0: exact). */
void spill__ldet_trace_info(const spill__ldet *ld, int *probes, double *se_mcerr);
double spill__ldet_error(spill_ctx *ctx, spill__ldet *ld, double rho);
/* Approximate methods (cheb): correct the approximation with exact values
 * around rho when no correction is near; *again = 1 if the caller should
 * maximise again. Exact methods: *again = 0. */
int spill__ldet_refine(spill_ctx *ctx, spill__ldet *ld, double rho, int *again);

/* ---- ml.c ---- */
/* Maximise f over (lo, hi): a scan of npts points, then Brent's method
 * (Brent 1973, ch. 5) on the bracket around the best point. */
typedef int (*spill__objective)(spill_ctx *ctx, void *user, double x, double *f);
int spill__maximise(spill_ctx *ctx, spill__objective fn, void *user, double lo, double hi,
                    int npts, double tol, double *xmax, double *fmax);

typedef struct spill__mlres {
  double rho, sigma2, loglik;
  double *coef; /* k (caller-allocated) */
} spill__mlres;
/* Spatial lag (SAR/SDM) ML on the concentrated likelihood. */
int spill__ml_lag(spill_ctx *ctx, const spill__design *d, spill__ldet *ld, spill__mlres *r);
/* Spatial error model ML (Anselin 1988, ch. 6; concentrated likelihood). */
int spill__ml_error(spill_ctx *ctx, const spill__design *d, const spill_weights *w,
                    spill__ldet *ld, spill__mlres *r);

/* ---- variance.c ---- */
/* Analytic asymptotic variance of (coef, rho, sigma2) for the lag model
 * (Elhorst 2014, eq. 3.10-3.11; Lee and Yu 2010): vcov is (k+2)^2. */
int spill__vcov_lag(spill_ctx *ctx, const spill__design *d, spill__ldet *ld, double rho,
                    double sigma2, const double *coef, double *vcov);
/* The same for the error model (Anselin 1988; splm's sperrorlm). */
int spill__vcov_error(spill_ctx *ctx, const spill__design *d, const spill_weights *w,
                      spill__ldet *ld, double lambda, double sigma2, double *vcov);

/* ---- tests.c ---- */
/* Upper tail of the chi-square distribution with df degrees of freedom. */
/* out (q x q) = A V A' for row-major A (q x k) and V (k x k), by BLAS;
 * work holds k * q doubles. */
void spill__sandwich(const double *a, size_t q, size_t k, const double *v, double *work,
                     double *out);
double spill__chi2_sf(double x, double df);
/* Two-sided normal p-value of z. */
double spill__normal_p2(double z);
/* Wald statistics of H0 theta = 0 and H0 theta = -rho beta for an SDM fit. */
int spill__wald_sdm(spill_ctx *ctx, spill_fit *f, const spill__design *d);

/* ---- sac.c: SAC/SARAR (rho W y and lambda W u) ---- */
/* g (n x n, column-major) = W (I - rho W)^-1, column by column through the
 * log-determinant's solver: dense, O(n^2) memory. */
int spill__dense_g(spill_ctx *ctx, spill__ldet *ld, const spill_weights *w, double rho, double *g);
/* ML of (I_T x R)(y - rho Wy - Z b) = e, R = I - lambda W, on the likelihood
 * concentrated in (rho, lambda): r->rho, r->coef, r->sigma2, r->loglik and
 * *lambda. */
int spill__ml_sac(spill_ctx *ctx, const spill__design *d, const spill_weights *w, spill__ldet *ld,
                  spill__mlres *r, double *lambda);
/* Inverse information matrix of (coef, rho, lambda, sigma2): (k+3)^2. */
int spill__vcov_sac(spill_ctx *ctx, const spill__design *d, const spill_weights *w, spill__ldet *ld,
                    double rho, double lambda, double sigma2, const double *coef, double *vcov);

/* ---- leeyu.c: Lee and Yu (2010, sec. 4) transformation approach ---- */
/* Exact ML of the transformed SAR/SDM with unit or two-way effects (W
 * row-standardised for two-way); fills f (coef, rho, sigma2, loglik, vcov). */
int spill__fit_lee_yu(spill_ctx *ctx, spill_fit *f, const spill__design *d, const spill_weights *w,
                      spill__ldet *ld);

/* ---- re.c: random unit effects ---- */
/* Fill f (constant, slopes, rho or lambda, phi, sigma2) for SAR/SDM/SEM with
 * random unit effects (R splm spreml errors "re" with lag; "semre" for SEM).
 * d is the untransformed design with a constant. */
int spill__fit_re(spill_ctx *ctx, spill_fit *f, const spill__design *d, const spill_weights *w,
                  spill__ldet *ld, spill_model model);

/* ---- fit.c ---- */
spill_fit *spill__fit_alloc(spill_ctx *ctx, const spill__design *d, spill_model model,
                            spill_fe fe, int has_rho, int ml);


/* ---- panel_files.c ---- */
struct spill__table;
/* Leave out (with one notice) the rows of a panel table whose outcome,
 * treatment or a control is missing (empty, ".", NA, NaN), so that their
 * unit-periods count as absent; the id, period and adoption columns are not
 * looked at (their own checks follow). Unknown columns are left for the
 * reader's own error. */
int spill__panel_skip_missing(spill_ctx *ctx, struct spill__table *tb, const spill_panel_spec *spec);

#endif
