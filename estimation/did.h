/* Private to estimation/: machinery shared by the DID diagnostics (event
 * study, placebo, Goodman-Bacon, heterogeneity): adoption periods, panels
 * with extra columns, Wald tests, projections off fixed controls, JSON. */
#ifndef SPILL_DID_H
#define SPILL_DID_H

#include <jansson.h>
#include "estimation/estimation.h"

/* Adoption period of each unit from p->d (absorbing 0/1 treatment): the
 * first period with d = 1, 0 when never treated. Units treated in the first
 * period get times[0] and are counted in *always (may be NULL). Fails naming
 * the unit when d is missing, not 0/1, or switches off. */
int spill__adoption(spill_ctx *ctx, const spill_panel *p, int64_t *adopt, size_t *always);

/* A panel with p's ids, times and y, treatment d (n*t, NULL: none, named
 * d_name), and controls: the m columns cols (m blocks of n*t, names) first,
 * then p's controls unless drop_x. Owned by the caller. */
spill_panel *spill__panel_with(spill_ctx *ctx, const spill_panel *p, const double *d,
                               const char *d_name, const double *cols, size_t m,
                               const char *const *names, int drop_x);

/* Wald statistic b_S' V_SS^-1 b_S over the coefficients idx[0..m) of a fit
 * (V = fit->vcov); *df = m, *p the chi-square upper tail. */
int spill__wald_idx(spill_ctx *ctx, const spill_fit *f, const long *idx, size_t m, double *stat,
                    double *p);
/* The same for a vector b (m) with covariance V (m x m row-major). */
int spill__wald_vec(spill_ctx *ctx, const double *b, const double *v, size_t m, double *stat,
                    double *p);

/* An orthonormal basis Q (nt x kq, column-major) of the columns of a
 * (nt x ka), by modified Gram-Schmidt with columns whose remainder is below
 * 1e-9 of their norm dropped. Returns Q (caller frees) and *kq. */
double *spill__orth_basis(spill_ctx *ctx, const double *a, int64_t nt, size_t ka, size_t *kq);
/* v -= Q (Q'v): the residual of v after projection on span(Q). */
void spill__orth_resid(const double *q, size_t kq, int64_t nt, double *v);

/* Fit q with two-way effects: model OLS (TWFE; w may be NULL: an empty W
 * with the panel's ids stands in) or SDM. */
spill_fit *spill__fit_did(spill_ctx *ctx, const spill_panel *q, const spill_weights *w, spill_model model,
                          spill_logdet logdet);

/* A coefficient's index by name in a fit, or -1. */
long spill__coef_index(const spill_fit *f, const char *name);

/* JSON helpers (jansson): a number, or null when not finite; dump to out
 * with 2-space indent and 17 significant digits. */
json_t *spill__jnum(double v);
int spill__jdump(spill_ctx *ctx, json_t *root, FILE *out);

/* A normal two-sided p-value and the 97.5% normal quantile. */
#define SPILL__Z975 1.959963984540054

#endif
