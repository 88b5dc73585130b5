/*
 * spill.h - spatial spillover econometrics on city networks.
 *
 * The one public header of libspill. It names no type of GEOS, PROJ,
 * shapelib, SuiteSparse or cairo: those stay inside the library.
 *
 * Conventions (see DESIGN.md):
 *  - every function that can fail takes a spill_ctx first; operations return
 *    0 (SPILL_OK) or a negative SPILL_E* status, constructors return a pointer
 *    or NULL; on failure spill_ctx_error() says what, and which file/record/row.
 *  - every _new/_read/constructor has a _free that accepts NULL.
 *  - the library never prints, aborts or exits.
 *  - units: lon/lat in degrees, x/y projected, distances in km unless named.
 */
#ifndef SPILL_H
#define SPILL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SPILL_VERSION "0.1.0"

/* ======================================================================
 * Context, status codes, progress
 * ==================================================================== */

enum spill_status {
  SPILL_OK = 0,
  SPILL_EIO = -1,     /* a file is missing, unreadable or unwritable */
  SPILL_EFORMAT = -2, /* a file is malformed or truncated */
  SPILL_EINVAL = -3,  /* a bad argument or option */
  SPILL_ENOMEM = -4,  /* out of memory, or a request that would exceed it */
  SPILL_EDATA = -5,   /* the data cannot be used: NaN, unbalanced, ids, ... */
  SPILL_ENUM = -6,    /* numerical failure: singular system, no convergence */
  SPILL_EDEP = -7     /* a dependency (GEOS, PROJ, CHOLMOD, cairo) failed */
};

typedef struct spill_ctx spill_ctx;

/* Create a context: owns the GEOS and PROJ contexts, the CHOLMOD common and
 * the error buffer. One context per thread. Free with spill_ctx_free. */
spill_ctx *spill_ctx_new(void);
void spill_ctx_free(spill_ctx *ctx);

/* The message of the last failure ("" if none); owned by ctx. */
const char *spill_ctx_error(const spill_ctx *ctx);
/* The status of the last failure (SPILL_OK if none). */
int spill_ctx_status(const spill_ctx *ctx);
void spill_ctx_clear_error(spill_ctx *ctx);

/* Progress of long work: what is being done and the fraction done in [0,1].
 * Called from the library's thread; fn may be NULL to switch it off. */
typedef void (*spill_progress_fn)(void *user, const char *what, double fraction);
void spill_ctx_set_progress(spill_ctx *ctx, spill_progress_fn fn, void *user);

/* Non-fatal notices (a polygon repaired, a regressor dropped as collinear).
 * Called once per notice; fn may be NULL. */
typedef void (*spill_notice_fn)(void *user, const char *message);
void spill_ctx_set_notice(spill_ctx *ctx, spill_notice_fn fn, void *user);

/* Threads the library may use for dense and parallel work (default 0: all
 * cores). */
void spill_ctx_set_threads(spill_ctx *ctx, int threads);

/* ======================================================================
 * Random numbers (reproducible across platforms: xoshiro256**)
 * ==================================================================== */
typedef struct spill_rng { uint64_t s[4]; int has_spare; double spare; } spill_rng;
void spill_rng_seed(spill_rng *rng, uint64_t seed);
uint64_t spill_rng_u64(spill_rng *rng);
double spill_rng_uniform(spill_rng *rng); /* in [0,1) */
double spill_rng_normal(spill_rng *rng);  /* standard normal */

/* ======================================================================
 * Layers: shapefiles read with shapelib into GEOS geometries (shapes/)
 * ==================================================================== */

typedef enum spill_shape_kind {
  SPILL_SHAPE_POLYGON = 1,
  SPILL_SHAPE_POINT = 2
} spill_shape_kind;

typedef struct spill_read_opts {
  const char *id_field; /* DBF field giving unit ids; NULL: 1-based record number */
  int skip_null;        /* 1: skip null shapes (reported) instead of failing */
  int no_repair;        /* 1: keep invalid polygons as they are */
} spill_read_opts;

typedef struct spill_layer spill_layer;

/* Read PATH (.shp; its .shx, .dbf and optional .prj/.cpg beside it).
 * opts may be NULL (defaults). Returns a layer owned by the caller. */
spill_layer *spill_layer_read(spill_ctx *ctx, const char *path, const spill_read_opts *opts);
void spill_layer_free(spill_layer *layer);

size_t spill_layer_count(const spill_layer *layer);
spill_shape_kind spill_layer_kind(const spill_layer *layer);
/* Unit ids, count entries, owned by the layer. Numeric ids are written
 * canonically ("110000", never "110000.0"). */
const char *const *spill_layer_ids(const spill_layer *layer);
/* 1-based shapefile record number of each unit kept (differs from the
 * position when null shapes were skipped); owned by the layer. */
const int64_t *spill_layer_records(const spill_layer *layer);
/* 1: coordinates are lon/lat degrees (.prj geographic); 0: projected or
 * planar (no .prj). */
int spill_layer_geographic(const spill_layer *layer);
int spill_layer_has_prj(const spill_layer *layer);
/* Metres per layer unit for projected layers whose .prj says so; 0 when
 * unknown (planar layer without .prj) or geographic. */
double spill_layer_unit_m(const spill_layer *layer);
/* The .prj text (WKT) or NULL; owned by the layer. */
const char *spill_layer_prj(const spill_layer *layer);
/* Short human description of the CRS ("WGS 84 (lon/lat)", "planar, no .prj"). */
const char *spill_layer_crs_name(const spill_layer *layer);
/* How many invalid polygons were repaired, null shapes skipped. */
size_t spill_layer_repaired(const spill_layer *layer);
size_t spill_layer_skipped(const spill_layer *layer);
/* Bounding box: b[0]=minx b[1]=miny b[2]=maxx b[3]=maxy. */
void spill_layer_bounds(const spill_layer *layer, double b[4]);
/* Each unit's location: polygon centroid (GEOS) or the point; x and y have
 * count entries, caller-allocated. */
int spill_layer_centroids(spill_ctx *ctx, const spill_layer *layer, double *x, double *y);

/* Attributes (DBF). Field types: 'N' number, 'C' text, 'L' logical, 'D' date. */
size_t spill_layer_nfields(const spill_layer *layer);
const char *spill_layer_field_name(const spill_layer *layer, size_t field);
char spill_layer_field_type(const spill_layer *layer, size_t field);
/* Index of a field by name (case-insensitive), or -1. */
long spill_layer_field_index(const spill_layer *layer, const char *name);
/* Text of a cell (UTF-8, converted from the .cpg encoding); owned by the layer. */
const char *spill_layer_attr_text(const spill_layer *layer, size_t unit, size_t field);
/* Numeric value of a cell; NaN when empty or not a number. */
double spill_layer_attr_number(const spill_layer *layer, size_t unit, size_t field);

/* ======================================================================
 * Spatial weights: one sparse format (compressed rows, 0-based, 64-bit)
 * ==================================================================== */

/* Styles, as spdep names them: B binary, W row-standardised, C globally
 * standardised (sum n), U sum 1, S variance-stabilising, M spectral
 * (largest |eigenvalue| 1), G general (as read or computed). */
typedef enum spill_style {
  SPILL_STYLE_B = 'B', SPILL_STYLE_W = 'W', SPILL_STYLE_C = 'C',
  SPILL_STYLE_U = 'U', SPILL_STYLE_S = 'S', SPILL_STYLE_M = 'M',
  SPILL_STYLE_G = 'G'
} spill_style;

typedef struct spill_weights {
  int64_t n;     /* units */
  char **ids;    /* n unit ids (owned) */
  int64_t *p;    /* n+1 row offsets */
  int64_t *j;    /* p[n] column indices, strictly increasing within a row */
  double *x;     /* p[n] weights */
  char style;    /* a spill_style */
} spill_weights;

/* An empty n-unit matrix with room for nnz entries; ids copied from ids (or
 * "1".."n" when ids is NULL). p is all zero. Free with spill_weights_free. */
spill_weights *spill_weights_new(spill_ctx *ctx, int64_t n, const char *const *ids, int64_t nnz);
void spill_weights_free(spill_weights *w);
spill_weights *spill_weights_copy(spill_ctx *ctx, const spill_weights *w);

/* Build from nt triplets (i, j, x), 0-based; duplicates are summed, columns
 * sorted, explicit zeros kept. ids as in spill_weights_new. */
spill_weights *spill_weights_from_triplets(spill_ctx *ctx, int64_t n, const char *const *ids,
                                           int64_t nt, const int64_t *ti, const int64_t *tj,
                                           const double *tx);

/* Index of an id, or -1 (O(log n) after the first call builds an index is
 * not promised: O(n)). */
int64_t spill_weights_find(const spill_weights *w, const char *id);

typedef struct spill_weights_summary {
  int64_t n;
  int64_t links;          /* non-zero off-diagonal entries */
  double pct_nonzero;     /* 100 * links / n^2 */
  int64_t min_neighbours, max_neighbours;
  double mean_neighbours;
  int64_t n_islands;      /* units with no neighbour */
  int64_t *islands;       /* their 0-based indices (owned; see _clear) */
  int64_t n_components;   /* connected components of the undirected graph */
  int symmetric;          /* 1 if pattern and values are symmetric */
  int symmetric_pattern;  /* 1 if the pattern is symmetric */
  double min_rowsum, max_rowsum;
  double min_weight, max_weight;
  char style_guess;       /* B, W, or G */
} spill_weights_summary;

int spill_weights_summarize(spill_ctx *ctx, const spill_weights *w, spill_weights_summary *s);
void spill_weights_summary_clear(spill_weights_summary *s);

/* Transforms in place (see spill_style). Row-standardising leaves island
 * rows empty. */
int spill_weights_transform(spill_ctx *ctx, spill_weights *w, char style);

/* ---- weight files (spatial/weights_io.c) ---- */
typedef enum spill_wformat {
  SPILL_WFMT_AUTO = 0, /* from the extension; .csv read: triplets or dense by header */
  SPILL_WFMT_GAL,      /* GeoDa GAL: neighbours only (binary) */
  SPILL_WFMT_GWT,      /* GeoDa GWT: id_i id_j w */
  SPILL_WFMT_MTX,      /* Matrix Market coordinate real general, ids in comments */
  SPILL_WFMT_CSV,      /* triplets id_i,id_j,w with a header */
  SPILL_WFMT_DENSE     /* dense n x n CSV with an id header row and column */
} spill_wformat;

/* Format from a path's extension (.gal .gwt .mtx .csv); SPILL_WFMT_AUTO if
 * unknown. */
spill_wformat spill_wformat_from_path(const char *path);
const char *spill_wformat_name(spill_wformat fmt);
spill_weights *spill_weights_read(spill_ctx *ctx, const char *path, spill_wformat fmt);
/* Written to a temporary file beside path, then renamed over it. */
int spill_weights_write(spill_ctx *ctx, const spill_weights *w, const char *path, spill_wformat fmt);

/* ---- contiguity (spatial/contiguity.c) ---- */
typedef struct spill_contig_opts {
  int rook;        /* 0 queen (a shared point), 1 rook (a shared segment) */
  double snap;     /* tolerance in layer units; <= 0: sqrt(DBL_EPSILON) */
  int order;       /* contiguity order, >= 1 (0 means 1) */
  int cumulative;  /* with order > 1: include lower orders */
} spill_contig_opts;

/* Binary (style B) contiguity weights of a polygon layer. */
spill_weights *spill_weights_contiguity(spill_ctx *ctx, const spill_layer *layer,
                                        const spill_contig_opts *opts);
/* Higher-order neighbours of a binary W: units exactly `order` steps away
 * (or 1..order when cumulative). Returns a new binary W. */
spill_weights *spill_weights_higher_order(spill_ctx *ctx, const spill_weights *w, int order,
                                          int cumulative);

/* ---- distance-based weights (spatial/distance.c, knn.c, band.c, econ.c) ---- */
/* Unit locations handed to distance-based weights. */
typedef struct spill_points {
  int64_t n;
  const char *const *ids; /* n ids */
  const double *x, *y;    /* lon/lat degrees when geographic, else x/y */
  int geographic;         /* 1: geodesic distances on WGS84 (PROJ geod) */
  double unit_km;         /* projected: km per coordinate unit (0: 1, planar) */
} spill_points;

/* (The distance, k-NN, band, kernel and economic-weight API is declared here
 * by spatial/; see issue 3.) */

/* ======================================================================
 * Panels and estimation (estimation/)
 * ==================================================================== */

typedef struct spill_panel spill_panel;

typedef struct spill_panel_spec {
  const char *id_col;          /* unit id column */
  const char *time_col;        /* period column (integer years) */
  const char *y_col;           /* outcome */
  const char *treat_col;       /* 0/1 treatment column, or NULL */
  const char *adopt_col;       /* adoption year (0 or empty: never), or NULL */
  const char *const *x_cols;   /* controls */
  size_t nx;
  int drop_incomplete;         /* 1: drop units with missing periods */
} spill_panel_spec;

typedef enum spill_model {
  SPILL_MODEL_SDM = 0, SPILL_MODEL_SAR, SPILL_MODEL_SLX, SPILL_MODEL_OLS, SPILL_MODEL_SEM
} spill_model;
typedef enum spill_fe {
  SPILL_FE_TWOWAYS = 0, SPILL_FE_UNIT, SPILL_FE_TIME, SPILL_FE_NONE
} spill_fe;
typedef enum spill_logdet {
  SPILL_LOGDET_AUTO = 0, SPILL_LOGDET_EIGEN, SPILL_LOGDET_CHOL, SPILL_LOGDET_LU
} spill_logdet;

/* A balanced panel aligned period by period: value of unit i in period s is
 * at [s * n + i] (time-major, so each period is a block of n, matching
 * (I_T x W)). Transparent so simulations can build one directly. */
struct spill_panel {
  int64_t n, t;       /* units, periods */
  char **ids;         /* n unit ids (canonical text) */
  int64_t *times;     /* t periods, increasing */
  char *y_name;
  double *y;          /* n*t outcome */
  char *d_name;       /* treatment name ("did" when built from --adopt) or NULL */
  double *d;          /* n*t treatment indicator, or NULL */
  size_t nx;
  char **x_names;     /* nx */
  double *x;          /* nx blocks of n*t: control k at x[k*n*t + s*n + i] */
};

/* Fit options; initialise with spill_fit_opts_init (SDM, two-way FE, auto
 * log-det, intercept only when fe is NONE). */
typedef struct spill_fit_opts {
  spill_model model;
  spill_fe fe;
  spill_logdet logdet;
  int lee_yu;       /* 1: Lee and Yu (2010) bias correction */
  int intercept;    /* 1: add a constant (only meaningful with fe NONE) */
} spill_fit_opts;
void spill_fit_opts_init(spill_fit_opts *opts);

/* A fitted model. Coefficients are ordered: [constant], treatment, controls,
 * then (SDM/SLX) W*treatment, W*controls. vcov covers the coefficients, then
 * rho (SAR/SDM), then sigma2 (ML models): nv = k + (rho ? 1 : 0) + (ML ? 1 : 0). */
typedef struct spill_fit {
  spill_model model;
  spill_fe fe;
  int lee_yu;
  int64_t n, t;
  char **ids;           /* n unit ids in the order used (W's order) */
  size_t k;             /* coefficients (rho and sigma2 excluded) */
  char **names;         /* k names: "did", "x1", "W*did", "W*x1", "(constant)" */
  double *coef, *se;    /* k each; se is the cluster-robust SE for OLS/SLX */
  double *se_conv;      /* k conventional SEs for OLS/SLX, else NULL */
  long *wlag;           /* k: index of each coefficient's W term, or -1 */
  int has_rho;
  double rho, rho_se;
  double rho_lo, rho_hi; /* feasible interval (1/lambda_min, 1/lambda_max) */
  double sigma2;
  double loglik, aic;
  double r2, r2_within;  /* squared corr(y, fitted); within R-squared */
  size_t nv;
  double *vcov;          /* nv x nv, row-major */
  char logdet_method[16];
  size_t n_omitted;
  char **omitted;        /* regressors dropped as constant or collinear */
  long treat;            /* index of the treatment coefficient, or -1 */
  /* SDM specification tests: H0 SAR (theta = 0) and H0 SEM (theta = -rho beta) */
  double lr_sar, lr_sar_p, wald_sar, wald_sar_p;
  double lr_sem, lr_sem_p, wald_sem, wald_sem_p;
} spill_fit;

/* (The panel reading, fitting and reporting functions are declared here by
 * estimation/; see issue 4.) */

/* ======================================================================
 * Effects (estimation/effects.c; see issue 5)
 * ==================================================================== */

/* ======================================================================
 * Maps and shapefile output (shapes/; see issue 6)
 * ==================================================================== */

#ifdef __cplusplus
}
#endif
#endif /* SPILL_H */
