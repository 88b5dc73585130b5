/* Private to the log-determinant files (logdet.c: eigen, Cholesky and LU;
 * ldet_cheb.c: the Chebyshev approximation; ldet_traces.c: traces of G for
 * the variance). */
#ifndef SPILL_LOGDET_H
#define SPILL_LOGDET_H

#include <cholmod.h>
#include "estimation/estimation.h"

#define SPILL__ANCHORS 16 /* exact corrections kept by the Chebyshev method */

struct spill__ldet {
  spill_logdet method;
  int64_t n;
  const spill_weights *w; /* borrowed */
  int similar;            /* W = D^-1 B, B symmetric */
  double *dh;             /* d_i^(1/2) of the similarity (similar only) */
  double lo, hi;
  double *ev_re, *ev_im;  /* eigen: eigenvalues (ev_im NULL when real) */
  /* chol: I - rho S, upper triangle in CSC, S = D^1/2 W D^-1/2 */
  cholmod_common *cc;
  cholmod_sparse *A;
  double *s_val;          /* S values on A's pattern */
  int64_t *s_diag;        /* position of the diagonal in each column */
  cholmod_factor *L;
  double L_rho;
  /* lu: I - rho W as CSR = CSC of its transpose */
  int64_t *up, *ui;
  double *ux, *w_val;
  int64_t *u_diag;
  void *sym, *num;
  double num_rho;
  /* cheb: ln|I - rho W| ~ sum_k c_k(rho) tr T_k(W / scale) (on top of chol) */
  int cheb_m, cheb_r;     /* series order, Monte Carlo probes */
  double scale;           /* spectral radius bound of W */
  double *cheb_t;         /* m + 1: tr T_k(W/scale) / n, probe mean (k <= 2 exact) */
  double *cheb_tr;        /* r x (m + 1): per probe */
  int n_anchor;           /* exact corrections: ldet = cheb + a + b d + c d^2, d = rho - rho0 */
  double anc[SPILL__ANCHORS][5]; /* rho0, a, b, c, half-width h */
  /* variance traces */
  int traces;             /* 0 auto, 1 exact, 2 Monte Carlo */
  uint64_t seed;
  int probes;             /* used by the last spill__vcov_traces (0: exact) */
  double se_mcerr;        /* its relative Monte Carlo error of the SEs */
};

/* logdet.c */
int spill__ldet_chol_factor(spill_ctx *ctx, spill__ldet *ld, double rho, int *posdef);
double spill__ldet_chol_value(const spill__ldet *ld);
int spill__ldet_exact_eval(spill_ctx *ctx, spill__ldet *ld, double rho, double *out);
double spill__ldet_abs_rowsum(const spill_weights *w);
int spill__ldet_is_row_std(const spill_weights *w);

/* ldet_cheb.c */
int spill__cheb_setup(spill_ctx *ctx, spill__ldet *ld);
/* approximation (with its anchor correction) and its rho-derivative */
void spill__cheb_eval(const spill__ldet *ld, double rho, double *val, double *dval);
/* Monte Carlo SE and truncation bound of the uncorrected series at rho */
void spill__cheb_error(const spill__ldet *ld, double rho, double *mcse, double *trunc);

#endif
