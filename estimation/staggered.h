/* Private to estimation/: staggered DID (CS, imputation, exposure) pieces shared by callaway.c,
 * imputation.c, exposure.c, did.c and did_result.c. */
#ifndef SPILL_STAGGERED_H
#define SPILL_STAGGERED_H

#include "estimation/estimation.h"

/* Adoption period (time value) of each unit from an absorbing d: 0 never
 * treated in the panel. Fails naming the unit when d switches off. */
int spill__did_cohorts(spill_ctx *ctx, const spill_panel *p, int64_t *g);

/* ---- did_result.c ---- */
spill_did_result *spill__did_result_new(spill_ctx *ctx, spill_did_method m, const spill_did_opts *o);
/* Append an empty table; returns it or NULL. */
spill_did_table *spill__did_table_add(spill_ctx *ctx, spill_did_result *r, const char *name);
/* Append a row (label copied; keys INT64_MIN when unused); lo/hi from the
 * normal quantile at level, ulo/uhi NaN. Returns it or NULL. */
spill_did_row *spill__did_row_add(spill_ctx *ctx, spill_did_table *t, const char *label, int64_t g,
                                  int64_t tt, int64_t e, double est, double se, double level,
                                  int64_t nobs);
/* Set the uniform band of every row of t from its crit. */
void spill__did_table_band(spill_did_table *t, double crit);
int spill__did_note(spill_ctx *ctx, spill_did_result *r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Upper normal quantile: z with P(Z <= z) = p (Acklam's algorithm refined by
 * one Newton step on erfc). */
double spill__qnorm(double p);

/* ---- mboot.c: multiplier bootstrap (Callaway and Sant'Anna 2021, sec. 4;
 * did's mboot: Rademacher weights, IQR-based SEs, sup-t critical value) ---- */
/* psi: n x k influence functions, column-major (psi[j*n + i]), on the scale
 * of did (estimate - truth ~ mean(psi)). Draw b uses an RNG seeded from
 * (seed, b), so the result does not depend on the thread count. bres
 * receives boot x k draws of sqrt(n) mean(V psi) (row-major by draw). */
int spill__mboot_draws(spill_ctx *ctx, const double *psi, int64_t n, size_t k, int boot, uint64_t seed,
                       double *bres);
/* From draws of the columns cols[0..m-1] of bres (k per draw): se (IQR /
 * 1.349 times scale: 1/sqrt(n) for units, sqrt(G)/n for G clusters as did;
 * NaN for a degenerate column) and the sup-t critical value at level (NaN
 * if none). */
void spill__mboot_summary(const double *bres, int boot, size_t k, const size_t *cols, size_t m,
                          double scale, double level, double *se, double *crit);
/* Cluster index 0..G-1 of each of m units: from o->cluster at panel index
 * units[i] (units NULL: i), or each unit its own cluster. *cl malloc'ed. */
int spill__did_clusters(spill_ctx *ctx, const spill_did_opts *o, int64_t m, const int64_t *units, int64_t **cl,
                        int64_t *g);
/* Type-1 sample quantile (R quantile(type = 1)) of x[0..n-1], sorted in place. */
double spill__quantile1(double *x, size_t n, double p);

/* ---- imputation.c ---- */
/* Two-way FE (+ controls) fitted on the observations with mask[it] != 0 of a
 * balanced n x t panel (time-major): exact normal equations with the unit
 * block eliminated (Schur complement on the period and control block, solved
 * by a symmetric eigen-decomposition pseudo-inverse). */
typedef struct spill__fe0 spill__fe0;
spill__fe0 *spill__fe0_new(spill_ctx *ctx, int64_t n, int64_t t, const unsigned char *mask, size_t nx,
                           const double *x);
void spill__fe0_free(spill__fe0 *f);
/* a = M^+ c for c = (c_unit n, c_period t, c_x nx); then fitted values of
 * every observation into fit (n*t): a_i + b_s + x_is'd. */
int spill__fe0_solve(spill_ctx *ctx, spill__fe0 *f, const double *c, double *fit);
/* 1 if unit i / period s has an observation in the mask. */
int spill__fe0_unit_ok(const spill__fe0 *f, int64_t i);
int spill__fe0_period_ok(const spill__fe0 *f, int64_t s);
/* c = Z' v over all observations (v n*t; NaN entries count as 0). */
void spill__fe0_zt(const spill__fe0 *f, const double *v, double *c);
size_t spill__fe0_dim(const spill__fe0 *f);

int spill__did_cs(spill_ctx *ctx, const spill_panel *p, const spill_did_opts *o, spill_did_result *r);
int spill__did_impute(spill_ctx *ctx, const spill_panel *p, const spill_did_opts *o, spill_did_result *r);

#endif
