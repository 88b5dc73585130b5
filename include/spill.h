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
 * Simulated SDM-DID panels (estimation/simulate.c): staggered pilots with
 * known direct and spillover effects, for demos, tests and benchmarks.
 * ==================================================================== */
#define SPILL_SIM_MAXX 8
#define SPILL_SIM_MAXBATCH 8
typedef struct spill_sim_opts {
  int64_t t, first_time;                 /* periods and the first period (12, 2011) */
  int n_batches;                         /* pilot batches (3) */
  int64_t batch_time[SPILL_SIM_MAXBATCH];  /* adoption periods (2013, 2014, 2017) */
  double batch_share[SPILL_SIM_MAXBATCH];  /* share of units in each batch */
  double rho, beta, theta;               /* spatial lag, pilot effect, W*pilot */
  size_t nx;                             /* controls (3) */
  double gamma[SPILL_SIM_MAXX], delta[SPILL_SIM_MAXX]; /* controls and their W terms */
  double sigma, fe_sd;                   /* noise and unit-effect SDs */
  uint64_t seed;
} spill_sim_opts;
void spill_sim_opts_init(spill_sim_opts *opts);
/* Simulate y_t = (I - rho W)^-1 (beta d_t + theta W d_t + X_t gamma +
 * W X_t delta + mu + alpha_t + e_t) on W's units (ids copied). Controls are
 * correlated with the unit effects. adopt (n entries, may be NULL) receives
 * each unit's adoption period (0: never). Returns a panel owned by the caller. */
struct spill_panel;
struct spill_weights;
struct spill_panel *spill_simulate_did(spill_ctx *ctx, const struct spill_weights *w,
                                       const spill_sim_opts *opts, int64_t *adopt);

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
  int vertices_only;    /* 1: shapefiles: read ids and vertices only, build no GEOS geometry
                           and check no validity (enough for contiguity; the layer then
                           serves spill_weights_contiguity and the id/attribute getters) */
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

/* The units with keep[i] != 0 (keep has w->n entries), in W's order, with
 * the links among them; then the style is re-applied to the cut matrix
 * (style 0 or 'G': values kept as they are). A kept unit whose neighbours
 * were all dropped becomes an island. New weights owned by the caller
 * (spatial/subset.c). */
spill_weights *spill_weights_subset(spill_ctx *ctx, const spill_weights *w,
                                    const unsigned char *keep, char style);

/* Binary (style B) neighbours of the cells of a rows x cols grid, cell
 * (r, c) at index r * cols + c with id "r*cols+c+1": rook (edges) or queen
 * (edges and corners), as spdep's cell2nb and PySAL's lat2W (spatial/lattice.c). */
spill_weights *spill_weights_lattice(spill_ctx *ctx, int64_t rows, int64_t cols, int queen);

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

/* Binary (style B) contiguity weights of a polygon layer, by R spdep's
 * poly2nb rule: boundary vertices as read (before any repair), each unit's
 * first vertex left out; two vertices match within snap (Euclidean, layer
 * units); queen needs >= 1 matching vertex pair, rook >= 2 (a repeated
 * vertex counts twice, as in spdep). Ids are the layer's. Fails (NULL) on a
 * point layer. opts may be NULL (queen, default snap, order 1). */
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

/* Geodesic distance on the WGS84 ellipsoid between two lon/lat points, in km
 * (Karney 2013, through PROJ's geodesic routines). */
double spill_geodesic_km(double lon1, double lat1, double lon2, double lat2);
/* Distance between units i and j of pts: geodesic km when geographic, else
 * Euclidean times unit_km (raw coordinate units when unit_km is 0). */
double spill_distance_km(const spill_points *pts, int64_t i, int64_t j);

/* Project n points from src_crs (WKT, PROJ string or EPSG:code; a layer's
 * .prj text) to dst_crs with PROJ, x/y in lon/lat order for geographic CRSs.
 * ox/oy (caller-allocated, n each) receive the result; *unit_km (may be
 * NULL) the km per unit of dst_crs, which must then be projected. */
int spill_points_project(spill_ctx *ctx, const char *src_crs, const char *dst_crs, int64_t n,
                         const double *x, const double *y, double *ox, double *oy, double *unit_km);

/* All distance-based builders check pts first: finite coordinates, latitudes
 * within +-90 when geographic, and no two distinct units at one location
 * (SPILL_EDATA, the message lists the ids). Searches use a k-d tree (3-D unit
 * vectors, decided on the exact geodesic, for geographic points): no O(n^2).
 * Ties at equal distance go to the smaller unit index (the order of pts);
 * planar points are ranked by squared distance in their own units. Large
 * jobs run on spill_ctx_set_threads threads; results do not depend on it. */

/* k nearest neighbours, binary (style B), not symmetric in general; needs
 * 1 <= k < n. Returned W owned by the caller. */
spill_weights *spill_weights_knn(spill_ctx *ctx, const spill_points *pts, int k);
/* Units within threshold_km (d <= threshold), binary (style B); threshold_km
 * > 0. Units with no neighbour within it are islands. */
spill_weights *spill_weights_band(spill_ctx *ctx, const spill_points *pts, double threshold_km);
/* The smallest threshold that gives every unit a neighbour: the largest
 * nearest-neighbour distance (GeoDa, PySAL min_threshold_distance). */
int spill_min_threshold(spill_ctx *ctx, const spill_points *pts, double *km);
/* Inverse distance w_ij = 1 / d_ij^power (power > 0), zero diagonal, for
 * d_ij <= cutoff_km; cutoff_km <= 0: every pair, a dense matrix of
 * spill_dense_bytes(n) bytes, refused (SPILL_ENOMEM) when that exceeds the
 * memory available. Style G. */
spill_weights *spill_weights_idw(spill_ctx *ctx, const spill_points *pts, double power, double cutoff_km);
/* Bytes of a dense n-unit weights matrix (zero diagonal not stored). */
double spill_dense_bytes(int64_t n);

/* Kernel weights w_ij = K(d_ij / h_i) for 0 < d_ij <= h_i, zero diagonal
 * (Silverman 1986, table 3.1; the kernels of PySAL's Kernel):
 * triangular 1 - z, Epanechnikov 3/4 (1 - z^2), Gaussian exp(-z^2/2)/sqrt(2 pi)
 * (truncated at z = 1). Bandwidth fixed (h_i = bandwidth_km, k = 0) or
 * adaptive (k > 0: h_i = the distance to unit i's k-th nearest neighbour,
 * which then gets weight 0 for triangular and Epanechnikov). Zero weights are
 * not stored. Style G. */
typedef enum spill_kernel {
  SPILL_KERNEL_TRIANGULAR = 1,
  SPILL_KERNEL_EPANECHNIKOV,
  SPILL_KERNEL_GAUSSIAN
} spill_kernel;
spill_weights *spill_weights_kernel(spill_ctx *ctx, const spill_points *pts, spill_kernel kind,
                                    double bandwidth_km, int k);

/* Economic weights from a per-unit variable xbar (e.g. GDP per capita
 * averaged over years), n units with ids (copied). Style G, dense.
 *  SPILL_ECON_INVDIFF: w_ij = 1 / |xbar_i - xbar_j|, i != j (Case, Rosen and
 *    Hines 1993, J. Public Econ. 52); pairs with equal values get no link
 *    (a notice counts them): 1/0 has no finite value to give.
 *  SPILL_ECON_GEO: the economic-geographic nested matrix
 *    W = W_d diag(xbar_1/mean, ..., xbar_n/mean), w_ij = xbar_j / (mean(xbar) d_ij)
 *    with d_ij the distance between the units of geo (same ids, same order);
 *    xbar must be positive (Lin, Long and Wu 2005, China Econ. Q. 4(S1)).
 * Missing (NaN) values are an error naming the unit. */
typedef enum spill_econ_kind { SPILL_ECON_INVDIFF = 1, SPILL_ECON_GEO } spill_econ_kind;
spill_weights *spill_weights_econ(spill_ctx *ctx, const char *const *ids, const double *xbar, int64_t n,
                                  spill_econ_kind kind, const spill_points *geo);
/* Per-unit means of column var of a panel CSV over years from..to
 * (inclusive; from > to: all years). *ids and *xbar (malloc'ed, n each,
 * units in order of first appearance; free each id, then the arrays with
 * spill_free_ids/free) receive the result. A missing or non-numeric value
 * in the range is an error naming the line. */
int spill_panel_means(spill_ctx *ctx, const char *path, const char *id_col, const char *time_col,
                      const char *var_col, long from, long to, char ***ids, double **xbar, int64_t *n);
/* Free an array of n malloc'ed strings and the array (NULL allowed). */
void spill_free_ids(char **ids, int64_t n);

/* ---- set operations and more transforms (spatial/setops.c, transform.c) ---- */
typedef enum spill_sym {
  SPILL_SYM_AVERAGE = 1, /* (W + W')/2 */
  SPILL_SYM_MAX,         /* max(w_ij, w_ji): the "or" pattern for binary W */
  SPILL_SYM_MIN          /* min over links present both ways: the "and" pattern */
} spill_sym;
/* A new symmetric W from w (style G, or B when w is binary). */
spill_weights *spill_weights_symmetrize(spill_ctx *ctx, const spill_weights *w, spill_sym how);
/* Remove diagonal entries in place. */
int spill_weights_zero_diagonal(spill_ctx *ctx, spill_weights *w);
/* Binary union / intersection of the patterns of a and b (the same ids, in
 * any order; the result has a's order). New W, style B. */
spill_weights *spill_weights_union(spill_ctx *ctx, const spill_weights *a, const spill_weights *b);
spill_weights *spill_weights_intersection(spill_ctx *ctx, const spill_weights *a, const spill_weights *b);

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
  SPILL_LOGDET_AUTO = 0, SPILL_LOGDET_EIGEN, SPILL_LOGDET_CHOL, SPILL_LOGDET_LU,
  SPILL_LOGDET_CHEB /* Chebyshev series with Monte Carlo traces (Pace and LeSage 2004),
                       corrected by exact Cholesky log-dets at the optimum (estimation/ldet_cheb.c) */
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
  int splm_wy;      /* 1: spatial lag of the within-transformed y, W (Q y), as R splm
                       does; 0 (default): the within transform of the lag, Q (W y),
                       the exact transform of the model (Lee and Yu 2010; Elhorst).
                       They differ only with time effects and W not column-stochastic. */
  int traces;           /* traces of G = W (I - rho W)^-1 in the variance: 0 auto (exact for
                           n <= 5000, else Monte Carlo), 1 exact, 2 Monte Carlo (Hutchinson) */
  uint64_t trace_seed;  /* seeds the Monte Carlo probes (0: 1) */
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
  int splm_wy;           /* the spill_fit_opts convention used */
  int trace_probes;      /* Monte Carlo probes for the variance traces (0: exact) */
  double se_mcerr;       /* Monte Carlo relative error (1 sd) of the SEs (0: exact traces) */
  double logdet_err;     /* error bound of ln|I - rho W| at rho (0: exact) */
} spill_fit;

/* ---- panels (estimation/panel.c) ---- */
/* Read a long-format CSV (one row per unit and period) into a balanced panel.
 * Ids are canonical ("110000.0" reads as "110000"); periods are integers.
 * adopt_col builds d = 1 from the adoption period on (0 or empty: never
 * treated; d_name "did"). Missing or non-numeric cells fail naming the line
 * and column; an unbalanced panel fails saying how many unit-periods are
 * missing and for which units, unless spec->drop_incomplete (those units are
 * dropped with a notice). Units keep the order of first appearance. */
spill_panel *spill_panel_read_csv(spill_ctx *ctx, const char *path, const spill_panel_spec *spec);
/* An n x t panel with y, d (when with_d) and nx controls allocated (zero),
 * ids copied (NULL: "1".."n"), times copied (NULL: 1..t); names "y", "did",
 * "x1".. (change them freely: all strings are owned by the panel). */
spill_panel *spill_panel_new(spill_ctx *ctx, int64_t n, int64_t t, const char *const *ids,
                             const int64_t *times, size_t nx, int with_d);
void spill_panel_free(spill_panel *p);
/* Reorder the units to W's id order (ids compared canonically). Fails with
 * both lists of unmatched ids (panel ids not in W, W ids not in the panel). */
int spill_panel_align(spill_ctx *ctx, spill_panel *p, const spill_weights *w);
/* Write the panel as a long CSV (one row per unit and period: id, time, y,
 * treatment, controls; 17 significant digits) that spill_panel_read_csv reads
 * back. id_name/time_name name the first two columns (NULL: "id", "time").
 * Written atomically. */
int spill_panel_write_csv(spill_ctx *ctx, const spill_panel *p, const char *id_name,
                          const char *time_name, const char *path);

/* ---- fitting (estimation/fit.c, ols.c, ml.c, variance.c, tests.c) ---- */
/* Fit a model on a panel aligned to w (spill_panel_align). w is used exactly
 * as given: row-standardise it first if that is the model wanted (the CLI
 * does by default). OLS/SLX: within OLS with conventional and cluster-robust
 * (by unit, as Stata xtreg, fe vce(cluster id)) SEs. SAR/SDM/SEM: ML on the
 * concentrated likelihood (rho in (1/lambda_min, 1/lambda_max)), variance
 * from the analytic information matrix as splm and spatialreg compute it;
 * lee_yu applies Lee and Yu (2010) as Elhorst (2014) does (time effects kept).
 * With time effects the lag of y follows opts->splm_wy. For the SDM the SAR
 * and SEM restrictions are tested by LR and Wald. Constant or collinear
 * regressors are dropped with a notice (listed in fit->omitted). Returns a
 * fit owned by the caller (spill_fit_free), or NULL. */
spill_fit *spill_fit_model(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                           const spill_fit_opts *opts);
void spill_fit_free(spill_fit *f);

/* ---- log-determinants (estimation/logdet.c) ---- */
/* ln|I - rho W| by the method asked (AUTO: eigenvalues for n <= 500,
 * else CHOLMOD when W is similar to a symmetric matrix, else UMFPACK).
 * Exposed for checks and benchmarks. */
int spill_logdet_eval(spill_ctx *ctx, const spill_weights *w, spill_logdet method, double rho,
                      double *out);

/* ---- regression tables (estimation/report.c) ---- */
#include <stdio.h> /* FILE for spill_fit_write */
typedef enum spill_table_fmt {
  SPILL_TABLE_TEXT = 0, SPILL_TABLE_CSV, SPILL_TABLE_LATEX, SPILL_TABLE_JSON
} spill_table_fmt;
/* Table formats:
 * SPILL_TABLE_TEXT aligned, with stars, N, T, log-likelihood, AIC, tests;
 * SPILL_TABLE_CSV term,estimate,se,z,p,stars then statistics;
 * SPILL_TABLE_LATEX booktabs tabular;
 * SPILL_TABLE_JSON {"model":..,"n":..,"t":..,"rho":{"estimate":..,"se":..},
 *   "sigma2":..,"loglik":..,"coefficients":[{"name","estimate","se","z","p"}],..} */
/* Write a fitted model to out (the caller's stream). */
int spill_fit_write(spill_ctx *ctx, const spill_fit *f, FILE *out, spill_table_fmt fmt);
/* The same, written atomically to path (temporary file, then renamed). */
int spill_fit_write_file(spill_ctx *ctx, const spill_fit *f, const char *path,
                         spill_table_fmt fmt);

/* ======================================================================
 * Effects (estimation/effects.c; see issue 5)
 * ==================================================================== */

/* Direct, indirect and total effects of LeSage and Pace (2009, ch. 2): for a
 * regressor with coefficient beta and W term theta (theta = 0 in a SAR),
 * S = (I - rho W)^-1 (beta I + theta W), direct = tr(S)/n, total = 1'S1/n,
 * indirect = total - direct. In a panel with one W for every period the
 * effects are per period. */
#include <stdio.h> /* FILE for the table writers */

typedef enum spill_trace_method {
  SPILL_TRACE_AUTO = 0, /* eigen up to n = 1500 (W similar to symmetric) or 800, else MC */
  SPILL_TRACE_EIGEN,    /* exact: the eigenvalues of W (LAPACK dsyevd or dgeev) */
  SPILL_TRACE_MC        /* power series in rho with tr(W^j) exact for j <= 2 and by
                         * Hutchinson's estimator (Rademacher vectors) above */
} spill_trace_method;

typedef struct spill_effects_opts {
  spill_trace_method method;
  int draws;        /* simulation draws (default 1000; 0: delta method only) */
  uint64_t seed;    /* seeds the draws and the trace vectors (default 1) */
  int vectors;      /* Hutchinson vectors for MC traces (default 100) */
  int order;        /* series terms J (0: smallest with truncation factor <= tol) */
  int max_order;    /* cap on J (default 1000) */
  double tol;       /* truncation factor target (default 1e-10) */
  double level;     /* interval level (default 0.95) */
} spill_effects_opts;
void spill_effects_opts_init(spill_effects_opts *opts);

/* Precomputed traces of W: computed once, then each rho costs O(J) (series)
 * or O(n) (eigenvalues). Opaque; free with spill_traces_free. rho_abs_max is
 * the largest |rho| the series must serve (it sets J when opts->order is 0). */
typedef struct spill_traces spill_traces;
spill_traces *spill_traces_new(spill_ctx *ctx, const spill_weights *w, double rho_abs_max,
                               const spill_effects_opts *opts);
void spill_traces_free(spill_traces *tr);
/* SPILL_TRACE_EIGEN or SPILL_TRACE_MC. */
spill_trace_method spill_traces_method(const spill_traces *tr);
/* Series order J (0 for eigen) and tr(W^j)/n, j = 0..J+1, with their Monte
 * Carlo standard errors (0 for the exact j <= 2); both NULL for eigen; owned
 * by tr. */
int spill_traces_order(const spill_traces *tr);
const double *spill_traces_values(const spill_traces *tr);
const double *spill_traces_se(const spill_traces *tr);

/* One effect: the value at the estimates, its delta-method SE, and the
 * simulation summary over the accepted draws. */
typedef struct spill_effect_stat {
  double estimate;   /* at the point estimates */
  double se_delta;   /* delta method (analytic gradient in beta, theta, rho) */
  double mean, sd;   /* over the accepted draws (NaN without draws) */
  double z, p;       /* mean/sd and its two-sided normal p-value */
  double lo, hi;     /* percentile interval at opts.level */
  double mc_se;      /* Monte Carlo SE of estimate from the traces (0 if exact) */
  double trunc;      /* bound on the series truncation error of estimate (0 if exact) */
} spill_effect_stat;

typedef struct spill_effect {
  char *name;        /* the regressor ("did") */
  long coef, wcoef;  /* its coefficient index and its W term's (-1: none) */
  spill_effect_stat direct, indirect, total;
} spill_effect;

typedef struct spill_effects {
  int64_t n;                /* units (effects are per period) */
  size_t count;
  spill_effect *e;          /* count effects, treatment first if any */
  spill_trace_method method;
  char method_name[48];     /* "eigenvalues (real)", "series J=60, MC traces R=100" */
  char total_method[32];    /* "closed form" (rows sum to 1) or "sparse LU"; the draws
                             * use the closed form or the exact series of 1'W^j 1 */
  int order, vectors;
  double rho;
  int draws, accepted, rejected;  /* requested, kept, rejected (rho out of bounds) */
  double max_trunc;         /* largest truncation bound over the accepted draws */
  uint64_t seed;
  double level;
} spill_effects;

/* Effects of every regressor of fit that is not the constant or a W term,
 * with W the weights the model was fitted with (ids in fit->ids' order).
 * SLX/OLS: rho = 0; SEM: lambda is in the errors, so direct = beta and no
 * indirect effect. Draws come from N(estimates, vcov block of the effect
 * terms and rho), each with rho outside (rho_lo, rho_hi) rejected.
 * opts may be NULL (defaults). Free with spill_effects_free. tr may be NULL
 * (traces computed here) or traces of w to reuse. */
spill_effects *spill_effects_compute(spill_ctx *ctx, const spill_fit *fit, const spill_weights *w,
                                     const spill_traces *tr, const spill_effects_opts *opts);
void spill_effects_free(spill_effects *e);
/* The effect of a regressor by name, or NULL. */
const spill_effect *spill_effects_find(const spill_effects *e, const char *name);

/* Effects table of one fit. JSON is the "effects" list:
 * [{"name":"did","direct":{"estimate":..,"se":..,...},"indirect":..,"total":..}].
 * spill_effects_save writes path atomically. */
int spill_effects_print(spill_ctx *ctx, const spill_effects *e, FILE *out, spill_table_fmt fmt);
int spill_effects_save(spill_ctx *ctx, const spill_effects *e, const char *path, spill_table_fmt fmt);
/* The fit's JSON object (as spill_fit_write) with "effects": [...] as its
 * last member (e may be NULL: the fit alone). */
int spill_fit_write_json_effects(spill_ctx *ctx, const spill_fit *fit, const spill_effects *e,
                                 FILE *out);

/* Per-city effects of the treatment (LeSage and Pace 2009, sec. 2.7): with d
 * the pilot vector of one period, the predicted change S d =
 * (I - rho W)^-1 (beta d + theta W d) split for city i into own = S_ii d_i and
 * received = (S d)_i - own; each pilot j sends sent_j = sum_{i != j} S_ij d_j.
 * sum_i total_i = sum_i (own_i + sent_i) = 1'S d. Point values by sparse LU;
 * intervals by the same draws as the effects, each via the power series. */
typedef struct spill_city_effects {
  int64_t n;
  char **ids;            /* n ids (owned) */
  int64_t period;        /* the period of d (0 when given directly) */
  char *name;            /* the regressor */
  double *pilot;         /* d */
  double *own, *received, *sent, *total;          /* n each (0 for non-pilots' own, sent) */
  double *own_lo, *own_hi, *received_lo, *received_hi;
  double *sent_lo, *sent_hi, *total_lo, *total_hi; /* NaN without draws */
  double sum_total;      /* 1'S d */
  int draws, accepted, rejected;
  double level;
} spill_city_effects;

/* From a pilot vector d in W's order (n entries). */
spill_city_effects *spill_city_effects_compute(spill_ctx *ctx, const spill_fit *fit,
                                               const spill_weights *w, const double *d,
                                               const spill_effects_opts *opts);
/* From the panel's treatment at period `period` (INT64_MIN: the last);
 * panel units are matched to W's ids. */
spill_city_effects *spill_city_effects_from_panel(spill_ctx *ctx, const spill_fit *fit,
                                                  const spill_weights *w, const spill_panel *panel,
                                                  int64_t period, const spill_effects_opts *opts);
void spill_city_effects_free(spill_city_effects *c);
/* CSV: id,pilot,own,own_lo,own_hi,received,...,total,total_lo,total_hi (atomic). */
int spill_city_effects_write_csv(spill_ctx *ctx, const spill_city_effects *c, const char *path);

/* Several weight matrices side by side (the seeds' Table 8): one column per
 * W with the effects of one regressor, rho, R-squared and N. The report
 * copies what it shows; fits and effects stay the caller's. */
typedef struct spill_multiw_col {
  char *name;                 /* column title (the W's name) */
  char *regressor;            /* the regressor shown */
  spill_effect_stat direct, indirect, total;
  int has_rho;
  double rho, rho_se, r2;
  int64_t nobs, n, t;
} spill_multiw_col;
typedef struct spill_multiw {
  size_t count;
  spill_multiw_col *col;
} spill_multiw;
spill_multiw *spill_multiw_new(spill_ctx *ctx);
void spill_multiw_free(spill_multiw *r);
/* Add a column: regressor NULL means the fit's treatment (else the first effect). */
int spill_multiw_add(spill_ctx *ctx, spill_multiw *r, const char *name, const spill_fit *fit,
                     const spill_effects *e, const char *regressor);
/* Text (aligned, SE in parentheses below, stars), CSV, LaTeX (booktabs) or JSON. */
int spill_multiw_print(spill_ctx *ctx, const spill_multiw *r, FILE *out, spill_table_fmt fmt);
int spill_multiw_save(spill_ctx *ctx, const spill_multiw *r, const char *path, spill_table_fmt fmt);

/* ======================================================================
 * Maps and shapefile output (shapes/; see issue 6)
 * ==================================================================== */

/* ---- values from a CSV matched to a layer's ids (shapes/values.c) ---- */

/* How a CSV's rows matched a layer's units. */
typedef struct spill_match_report {
  size_t rows;             /* CSV data rows */
  size_t matched;          /* units that received a row */
  size_t units_without;    /* units with no row (their values are missing) */
  size_t unmatched;        /* CSV rows whose id is not in the layer */
  char unmatched_ids[256]; /* the first few of them, comma-separated */
  char id_col[64];         /* the CSV id column used */
} spill_match_report;

/* Read column `field` of CSV `csv_path` into values[0..count-1] (caller-
 * allocated, layer order): NaN where a unit has no row or the cell is empty,
 * NA, "." or NaN. Rows are matched on id_col (NULL: "id" if present, else
 * the first column), compared
 * as canonical numbers when both sides are numeric ("110000.0" == "110000").
 * Fails (SPILL_EDATA) on a duplicate id, a non-numeric cell, or ids absent
 * from the layer unless allow_unmatched (then they are only counted in rep).
 * A missing column fails listing the columns. rep may be NULL. */
int spill_layer_values_csv(spill_ctx *ctx, const spill_layer *layer, const char *csv_path,
                           const char *id_col, const char *field, int allow_unmatched,
                           double *values, spill_match_report *rep);

/* ---- classification (shapes/classify.c) ---- */

#define SPILL_MAP_MAX_CLASSES 12

typedef enum spill_class_method {
  SPILL_CLASS_QUANTILE = 0, /* equal counts (type-7 quantiles as break points) */
  SPILL_CLASS_EQUAL,        /* equal-width intervals from min to max */
  SPILL_CLASS_JENKS,        /* Fisher-Jenks natural breaks, exact */
  SPILL_CLASS_BREAKS        /* user break points */
} spill_class_method;

/* Class bounds of the finite values among x[0..n-1] (NaN are ignored):
 * bounds[0] = min, bounds[k] = max, class c holds bounds[c] < v <= bounds[c+1]
 * (the first class also holds bounds[0]). k requested classes (1..
 * SPILL_MAP_MAX_CLASSES); *k_out receives the classes made (fewer when values
 * tie or there are fewer distinct values). With SPILL_CLASS_BREAKS, `breaks`
 * holds nbreaks increasing interior break points (k is then nbreaks+1; breaks
 * outside the data range are kept so the legend shows them). bounds must hold
 * SPILL_MAP_MAX_CLASSES + 1 entries. */
int spill_classify(spill_ctx *ctx, const double *x, size_t n, spill_class_method method, int k,
                   const double *breaks, size_t nbreaks, double *bounds, int *k_out);
/* The class (0..k-1) of v under bounds, or -1 when v is NaN. */
int spill_class_of(double v, const double *bounds, int k);

/* ---- palettes (shapes/palette.c) ---- */

/* Colours of k classes from palette `name`: sequential "viridis",
 * "cividis", "blues", "ylorrd", "greens"; diverging "rdbu", "puor", "brbg"
 * (append "-r" to reverse). rgb receives 3*k components in [0,1]. For a
 * diverging palette, classes below zero take the first half, classes above
 * zero the second and a class spanning zero the neutral centre, shaded by
 * their rank away from zero, so equal shades mean equal distance from zero
 * on both sides. bounds as from spill_classify. */
int spill_palette_colors(spill_ctx *ctx, const char *name, const double *bounds, int k, double *rgb);
/* 1 if name is a known diverging palette, 0 sequential, -1 unknown. */
int spill_palette_diverging(const char *name);

/* ---- choropleth maps (shapes/map.c, project.c) ---- */

typedef struct spill_map_opts {
  int width;                  /* image width in pixels (PNG) or points (SVG, PDF);
                                 0: 1600 */
  spill_class_method method;  /* default SPILL_CLASS_QUANTILE */
  int classes;                /* default 5 */
  const double *breaks;       /* with SPILL_CLASS_BREAKS */
  size_t nbreaks;
  const char *palette;        /* NULL: "rdbu" when values take both signs,
                                 else "viridis" */
  const char *title;          /* NULL: no title */
  const char *legend_title;   /* units or the variable's name; NULL: none */
  const char *highlight_label; /* legend text for outlined units; NULL: "highlighted" */
  const char *crs;            /* target CRS (PROJ string, EPSG:code, WKT) for
                                 drawing; NULL: geographic layers in an
                                 equal-area projection chosen from the extent,
                                 projected layers as they are */
  int no_scale_bar;           /* 1: leave it out */
} spill_map_opts;
void spill_map_opts_init(spill_map_opts *opts);

typedef struct spill_map_stats {
  size_t units;          /* units in the layer */
  size_t units_drawn;    /* units with at least one polygon drawn */
  size_t polygons;       /* polygon parts drawn (a MultiPolygon counts each) */
  size_t rings;          /* rings drawn, holes included (matches the
                            shapefile's part count for valid input) */
  size_t missing;        /* units drawn as missing (NaN) */
  size_t highlighted;    /* units outlined */
  int classes;
  double bounds[SPILL_MAP_MAX_CLASSES + 1];
  size_t class_counts[SPILL_MAP_MAX_CLASSES];
  double rgb[3 * SPILL_MAP_MAX_CLASSES]; /* the class colours used */
  char palette[32];
  int scale_bar;         /* 1 drawn, 0 not (see scale_note) */
  double scale_km;       /* the scale bar's length in km */
  double scale_px;       /* ... and in pixels (points) on the image */
  double scale_box[4];   /* the bar: x0 y0 x1 y1 in image coordinates */
  char scale_note[96];   /* why there is no scale bar, or "" */
  char crs[160];         /* the CRS drawn in, as PROJ describes it */
  int width, height;     /* the image size */
  double map_box[4];     /* map frame in image coordinates: x0 y0 x1 y1 */
} spill_map_stats;

/* Missing values are drawn in this grey with darker diagonal hatching. */
#define SPILL_MAP_MISSING_RGB 0.86, 0.86, 0.86

/* Draw a choropleth of values (layer->n entries, NaN = missing) over the
 * polygons of layer into out_path, format from its extension (.png, .svg,
 * .pdf). highlight (may be NULL): nonzero entries get a thick dark outline.
 * Holes are drawn with the even-odd rule; a polygon part smaller than a
 * pixel is drawn as a 1.6-pixel square so small islands stay visible; line
 * widths follow the image width and the number of units. The legend shows
 * class bounds with their counts, missing values and outlined units; the
 * scale bar is left out (stats->scale_note says why) when the drawing CRS
 * has no linear unit. The file is written under a temporary name and
 * renamed; nothing is left on failure. stats (may be NULL) receives what
 * was drawn. */
int spill_map_draw(spill_ctx *ctx, const spill_layer *layer, const double *values,
                   const unsigned char *highlight, const spill_map_opts *opts,
                   const char *out_path, spill_map_stats *stats);

/* ---- shapefile output (shapes/write.c) ---- */

/* A column to add to a layer's attributes: numeric (values, NaN written as
 * an empty cell) or text (text, NULL entries empty); count entries each in
 * layer order. name is shortened to DBF's 10 characters. */
typedef struct spill_field_column {
  const char *name;
  const double *values;
  const char *const *text;
} spill_field_column;

typedef struct spill_write_report {
  size_t fields_added;
  size_t renamed;             /* names changed to fit DBF's rules */
  char renames[512];          /* "long_name->long_nam_1, ..." */
  char fields[1024];          /* the fields added: "own N(14,12), name C(24), ..." */
  size_t truncated;           /* text cells cut to 254 bytes */
} spill_write_report;

/* Write the layer's shapes (copied record by record from its source .shp),
 * its attributes and the columns cols[0..ncols-1] as a new shapefile
 * out_shp (+ .shx, .dbf; the source .prj and .cpg copied). Numeric columns
 * become 'N' fields with widths and decimals that keep 12 significant
 * digits, text columns 'C' fields as wide as the longest cell. Every file is
 * written under a temporary name and renamed. rep may be NULL. */
int spill_layer_write_fields(spill_ctx *ctx, const spill_layer *layer, size_t ncols,
                             const spill_field_column *cols, const char *out_shp,
                             spill_write_report *rep);

/* spill_layer_write_fields with every column of CSV csv_path except its id
 * column (matched as in spill_layer_values_csv; columns whose non-missing
 * cells are all numbers become numeric). match may be NULL. */
int spill_layer_write_joined(spill_ctx *ctx, const spill_layer *layer, const char *csv_path,
                             const char *csv_id_col, int allow_unmatched, const char *out_shp,
                             spill_match_report *match, spill_write_report *rep);

/* ---- a generated city network (shapes/voronoi.c) ---- */

/* Write a polygon shapefile out_shp of n >= 3 "cities": Voronoi cells
 * (GEOS) of n random points (seeded, reproducible; no two closer than
 * about half the mean spacing) inside a stylised country of lon/lat WGS 84
 * around 105E 35N: a mainland about 30 x 19 degrees and an offshore island
 * near 114.5E 21N, the cells clipped to the coast. With n >= 30, n/40 (at
 * least 2) cities lie on the island, a group without land neighbours;
 * with fewer, the island belongs to mainland cells (multipart units).
 * Fields: id (1..n), name ("City 1", ...), lon, lat (the generating
 * point). A .prj (WGS 84) and .cpg (UTF-8) are written; all files under
 * temporary names, then renamed. Used by the demo when the shared data is
 * absent; 3000 cities take about 0.3 s. */
int spill_voronoi_network(spill_ctx *ctx, int64_t n, uint64_t seed, const char *out_shp);

#ifdef __cplusplus
}
#endif
#endif /* SPILL_H */
