/* Private: absorbed fixed effects (any number of factors and factor-specific
 * slopes) by the method of alternating projections, singleton dropping,
 * absorbed degrees of freedom, and cluster-robust (one- and two-way) and
 * HC1 variances. Used by the OLS DID (--absorb, --vce) and meant for other
 * least-squares estimators (IV, PSM-DID): demean y and X with
 * spill__absorb_demean, solve, then spill__vce with the demeaned X. */
#ifndef SPILL_ABSORB_H
#define SPILL_ABSORB_H

#include "core/internal.h"

/* One absorbed term over nobs observations: level codes 0..levels-1 (a
 * factor, or an interaction coded as one factor). slope NULL: an intercept
 * per level (i.prov, i.prov#i.year); else a slope on this variable per level
 * (i.prov#c.year: province-specific linear trends; add the factor itself, or
 * a finer one such as the unit effects, for the intercepts). */
typedef struct spill__fe_term {
  const int32_t *code;
  int32_t levels;
  const double *slope;
} spill__fe_term;

/* Drop singletons (Correia 2015, reghdfe): observations alone in a level of
 * any intercept term, repeated until none is left. keep[i] (in/out) is 0 for
 * observations out of the sample. Returns the number dropped. */
int64_t spill__absorb_singletons(const spill__fe_term *t, size_t nt, int64_t nobs, unsigned char *keep);

/* Alternating projections (Guimaraes and Portugal 2010; Gaure 2013): each
 * column of cols (nobs x ncol, column-major) less its projection on all the
 * terms, over the kept observations (others set to 0). Stops when a sweep
 * changes the column by less than tol (relative to its norm; 1e-14 as
 * fixest/reghdfe's tight setting) or after maxit sweeps (SPILL_ENUM).
 * *iters (may be NULL) receives the largest sweep count. */
int spill__absorb_demean(spill_ctx *ctx, const spill__fe_term *t, size_t nt, int64_t nobs,
                         const unsigned char *keep, double *cols, size_t ncol, double tol, int maxit,
                         int *iters);

/* Degrees of freedom the terms absorb, counted as reghdfe does: the first
 * intercept term its levels present; the second its levels less the connected
 * components of the bipartite graph of the two (Abowd, Creecy and Kramarz
 * 2002); each further intercept term its levels less one (a conservative
 * count: exact when the term has no other redundancy); a slope term one per
 * level whose variable varies within the level. Terms spanned by another
 * are left out first: an intercept term coarser than another (a province
 * beside the unit effects; the years beside province-by-year effects), a
 * slope term whose variable is constant within the levels of a finer
 * intercept term (province trends beside province-by-year). A term nested in the cluster
 * variable (every level inside one cluster; cluster NULL: none) counts 0, as
 * reghdfe does, since the cluster sandwich already allows for it. */
double spill__absorb_dof(const spill__fe_term *t, size_t nt, int64_t nobs, const unsigned char *keep,
                         const int32_t *cluster);

/* The same count with a term nested in either of two clusterings (c1, c2;
 * either may be NULL) left out, as reghdfe/ivreghdfe do with two-way
 * clustering. *cons (may be NULL) is set to 1 when the first intercept term
 * is among those left out: its levels held the constant, which the caller
 * counts back as one parameter (reghdfe keeps the constant when the fixed
 * effects are nested in the clusters, so that K matches xtreg, fe). */
double spill__absorb_dof2(const spill__fe_term *t, size_t nt, int64_t nobs, const unsigned char *keep,
                          const int32_t *c1, const int32_t *c2, int *cons);

/* Variance kinds. */
typedef enum { SPILL__VCE_HC1 = 1, SPILL__VCE_CLUSTER, SPILL__VCE_CLUSTER2 } spill__vce_kind;

/* Sandwich V = B M B, B = (X'X)^-1 (xtxinv, k x k), X the demeaned n x k
 * regressors (rows with keep 0 ignored), e the residuals. HC1: M = sum
 * e_i^2 x_i x_i' * N/(N-K). One-way cluster (c1, g1 groups): M = sum_g
 * (X_g'e_g)(X_g'e_g)' * G/(G-1) (N-1)/(N-K) (Stata). Two-way (c1, c2): V1 +
 * V2 - V12, V12 clustered on the intersection, each with its own G/(G-1)
 * and (N-1)/(N-K) (Cameron, Gelbach and Miller 2011, eq. 2.11); negative
 * eigenvalues set to zero when V is not positive semi-definite (CGM 2011,
 * sec. 2.3, as reghdfe). K counts the coefficients and the absorbed degrees
 * of freedom. *g_used receives the clusters (min over the two for two-way). */
int spill__vce(spill_ctx *ctx, spill__vce_kind kind, const double *x, const double *e, int64_t n, size_t k,
               const unsigned char *keep, const double *xtxinv, const int32_t *c1, const int32_t *c2,
               double kdof, double *v, int64_t *g_used);

/* Codes 0..levels-1 for the pairs (a[i], b[i]) (an interaction a#b);
 * *levels receives the count. Returns 0 or SPILL_ENOMEM. */
int spill__absorb_interact(spill_ctx *ctx, const int32_t *a, const int32_t *b, int64_t nobs, int32_t *out,
                           int32_t *levels);

/* A factor over the n*t observations of p (time-major) from the panel
 * file's table tb (cid: its id column): the id column, the time column, or a
 * column fixed within each unit (text or numbers). */
struct spill__table;
int spill__absorb_factor(spill_ctx *ctx, const struct spill__table *tb, long cid, const char *id_col,
                         const char *time_col, const char *name, const spill_panel *p, int32_t *out,
                         int32_t *levels);

/* One --absorb term ("A", "A#B", "A#c.TIME") as a factor over the n*t
 * observations; *code (and *slope for A#c.TIME, else NULL) are malloc'ed for
 * the caller to free, also on failure. */
int spill__absorb_term(spill_ctx *ctx, const struct spill__table *tb, long cid, const char *id_col,
                       const char *time_col, const char *term, const spill_panel *p, int32_t **code,
                       int32_t *levels, double **slope);

#endif
