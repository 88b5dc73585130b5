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

/* The library's version and, one per line as "name version", the versions of
 * the libraries it was built with (GEOS, PROJ, shapelib, SuiteSparse, cairo,
 * ReadStat, ...), written into buf (truncated to size, always terminated).
 * Returns the length the full text needs, as snprintf does (core/version.c). */
int spill_version_info(char *buf, size_t size);

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
/* Remove the temporary files that outputs written through ctx may have
 * open (every output goes to a temporary name first, then is renamed).
 * Async-signal-safe: for a SIGINT/SIGTERM handler that then _exit()s, so an
 * interrupted run leaves no temporaries and earlier outputs intact. */
void spill_ctx_remove_temporaries(spill_ctx *ctx);

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
  const char *encoding; /* iconv name of the attribute text's encoding
                           (DBF; GeoJSON not in UTF-8); NULL: from the .cpg,
                           the DBF language byte, else detected */
  const char *layer;    /* GeoPackage feature table; NULL: the only one */
  int vertices_only;    /* 1: shapefiles: read ids and vertices only, build no GEOS geometry
                           and check no validity (enough for contiguity; the layer then
                           serves spill_weights_contiguity and the id/attribute getters) */
  int ids_only;         /* 1: of the attributes read only the id field (the layer then has
                           that field alone, or none without id_field): `spill weights` */
} spill_read_opts;

typedef struct spill_layer spill_layer;

/* Read PATH: a shapefile (.shp; its .shx, .dbf and optional .prj/.cpg
 * beside it), GeoJSON (.geojson, .json: a FeatureCollection; lon/lat WGS 84
 * unless a "crs" member says otherwise) or GeoPackage (.gpkg, or
 * FILE.gpkg:TABLE to pick one of several feature tables). Ids come from
 * the attribute (property, column) opts->id_field. opts may be NULL
 * (defaults). Returns a layer owned by the caller. */
spill_layer *spill_layer_read(spill_ctx *ctx, const char *path, const spill_read_opts *opts);
void spill_layer_free(spill_layer *layer);

size_t spill_layer_count(const spill_layer *layer);
spill_shape_kind spill_layer_kind(const spill_layer *layer);
/* Unit ids, count entries, owned by the layer. Numeric ids are written
 * canonically ("110000", never "110000.0"). */
const char *const *spill_layer_ids(const spill_layer *layer);
/* 1-based shapefile record number (GeoJSON feature, GeoPackage row in
 * primary-key order) of each unit kept (differs from the position when null
 * shapes were skipped); owned by the layer. */
const int64_t *spill_layer_records(const spill_layer *layer);
/* 1: coordinates are lon/lat degrees (.prj geographic); 0: projected or
 * planar (no .prj). */
int spill_layer_geographic(const spill_layer *layer);
int spill_layer_has_prj(const spill_layer *layer);
/* Metres per layer unit for projected layers whose .prj says so; 0 when
 * unknown (planar layer without .prj) or geographic. */
double spill_layer_unit_m(const spill_layer *layer);
/* The .prj text (WKT; for GeoJSON the CRS as WKT2, for GeoPackage the
 * srs definition) or NULL; owned by the layer. */
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
  SPILL_WFMT_DENSE,    /* dense n x n CSV with an id header row and column */
  SPILL_WFMT_STATA,    /* Stata spmatrix export text (.txt): "n", then "id w_i1 .. w_in" */
  SPILL_WFMT_DTA       /* Stata .dta: an id column, then one column per unit */
} spill_wformat;

/* Format from a path's extension (.gal .gwt .mtx .csv, .txt: Stata
 * spmatrix export, .dta); SPILL_WFMT_AUTO if unknown. */
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
  SPILL_MODEL_SDM = 0, SPILL_MODEL_SAR, SPILL_MODEL_SLX, SPILL_MODEL_OLS, SPILL_MODEL_SEM,
  SPILL_MODEL_SAC,  /* rho W y and lambda W u (SARAR; estimation/sac.c) */
  SPILL_MODEL_SDEM, /* X, W X and lambda W u (spatial Durbin error model) */
  SPILL_MODEL_GNS   /* rho, theta and lambda together: refused (not identified) */
} spill_model;
typedef enum spill_fe {
  SPILL_FE_TWOWAYS = 0, SPILL_FE_UNIT, SPILL_FE_TIME, SPILL_FE_NONE,
  SPILL_FE_RANDOM   /* random unit effects by ML, as R splm spml(model = "random") */
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
  unsigned char *obs; /* n*t: 1 where the unit-period is observed, or NULL when
                         every cell is (a balanced panel). Unobserved cells hold 0
                         and are ignored by the OLS fit; the ML models refuse them.
                         See spill_panel_read_csv_unbalanced. */
};

/* Fit options; initialise with spill_fit_opts_init (SDM, two-way FE, auto
 * log-det, intercept only when fe is NONE). */
typedef struct spill_fit_opts {
  spill_model model;
  spill_fe fe;
  spill_logdet logdet;
  int lee_yu;       /* 1: Lee and Yu (2010, sec. 4) transformation approach: the exact
                       ML of the transformed model (unit or two-way effects, SAR/SDM) */
  int intercept;    /* 1: add a constant (only meaningful with fe NONE) */
  int splm_wy;      /* 1: spatial lag of the within-transformed y, W (Q y), as R splm
                       does; 0 (default): the within transform of the lag, Q (W y),
                       the exact transform of the model (Lee and Yu 2010; Elhorst).
                       They differ only with time effects and W not column-stochastic. */
  int lee_yu_bc;    /* 1: Elhorst's (2014, sec. 3.4) first-order bias correction of the
                       direct estimates (what --lee-yu did before); excludes lee_yu */
  int traces;           /* traces of G = W (I - rho W)^-1 in the variance: 0 auto (exact for
                           n <= 5000, else Monte Carlo), 1 exact, 2 Monte Carlo (Hutchinson) */
  uint64_t trace_seed;  /* seeds the Monte Carlo probes (0: 1) */
  size_t n_fe_cols;     /* the last n_fe_cols columns of p->x are absorbed-effect dummies or
                           trends (spill_panel_add_absorb_columns): no W term, left out of the
                           effects and of the printed table */
} spill_fit_opts;
void spill_fit_opts_init(spill_fit_opts *opts);

/* A fitted model. Coefficients are ordered: [constant], treatment, controls,
 * then (SDM/SLX) W*treatment, W*controls. vcov covers the coefficients, then
 * rho (SAR/SDM), then sigma2 (ML models): nv = k + (rho ? 1 : 0) + (ML ? 1 : 0). */
typedef struct spill_fit {
  spill_model model;
  spill_fe fe;
  int lee_yu;           /* 0 none, 1 Lee-Yu transformation (exact), 2 Elhorst's bias correction */
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
  double r2, r2_within;  /* squared corr(y, fitted); within R-squared. For OLS/SLX
                            with fixed effects r2 is Stata xtreg, fe's "R-sq overall":
                            corr(y, xb)^2, xb from the untransformed regressors */
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
  int64_t nobs;          /* observations used: n*t, fewer for an unbalanced panel */
  /* the model family (estimation/sac.c, re.c): vcov is ordered coefficients,
   * rho, lambda (SAC), phi (random effects), sigma2. In a SEM or SDEM the
   * error coefficient is in rho (has_rho, named lambda in tables). */
  int has_lambda;        /* SAC: the error coefficient, rho being the lag of y */
  double lambda, lambda_se;
  int has_phi;           /* random effects: phi = sigma_mu^2 / sigma_e^2 */
  double phi, phi_se;
  int trace_probes;      /* Monte Carlo probes for the variance traces (0: exact) */
  double se_mcerr;       /* Monte Carlo relative error (1 sd) of the SEs (0: exact traces) */
  double logdet_err;     /* error bound of ln|I - rho W| at rho (0: exact) */
  /* absorbed fixed effects and standard errors (spill_fit_absorb); empty otherwise */
  char absorb[256];      /* the --absorb terms, comma-separated */
  char vce[96];          /* "robust (HC1)", "cluster prov (31 clusters)" */
  double absorbed_dof;   /* degrees of freedom absorbed by all the effects */
  int64_t singletons;    /* singleton observations dropped */
  int rho_at_bound;      /* -1 / +1: rho within 1e-6 of rho_lo / rho_hi (a notice; its SE is unreliable) */
  unsigned char *fe_dummy; /* k: 1 for an absorbed-effect dummy or trend column (n_fe_cols), or NULL */
} spill_fit;

/* ---- panels (estimation/panel.c) ---- */
/* Read a long-format CSV (one row per unit and period) into a balanced panel
 * (spill_panel_read_csv_unbalanced keeps an unbalanced one).
 * Ids are canonical ("110000.0" reads as "110000"); periods are integers.
 * adopt_col builds d = 1 from the adoption period on (0 or empty: never
 * treated; d_name "did"). Non-numeric cells fail naming the line and column;
 * a row with a missing outcome, treatment or control is left out (a notice);
 * separator, decimal mark and encoding are detected, and a .dta is read as
 * Stata's (see spill_panel_read, which also takes them as options); an
 * unbalanced panel fails saying how many unit-periods are
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
 * back (spill_panel_read_csv_unbalanced when cells are unobserved: they get
 * no row). id_name/time_name name the first two columns (NULL: "id",
 * "time"). Written atomically. */
int spill_panel_write_csv(spill_ctx *ctx, const spill_panel *p, const char *id_name,
                          const char *time_name, const char *path);

/* ---- fitting (estimation/fit.c, ols.c, ml.c, variance.c, tests.c) ---- */
/* Fit a model on a panel aligned to w (spill_panel_align, or better
 * spill_panel_match_weights, which also cuts W to the panel). w may be NULL
 * for SPILL_MODEL_OLS (the non-spatial DID), which also accepts an
 * unbalanced panel (p->obs: the exact within transform over the observed
 * cells; observations, degrees of freedom and the cluster count follow the
 * observed cells); the other models need a balanced panel. w is used exactly
 * as given: row-standardise it first if that is the model wanted (the CLI
 * does by default). OLS/SLX: within OLS with conventional and cluster-robust
 * (by unit, as Stata xtreg, fe vce(cluster id)) SEs. SAR/SDM/SEM: ML on the
 * concentrated likelihood (rho in (1/lambda_min, 1/lambda_max)), variance
 * from the analytic information matrix as splm and spatialreg compute it;
 * lee_yu fits Lee and Yu's (2010, sec. 4) transformed model exactly, lee_yu_bc
 * applies Elhorst's (2014) bias correction (time effects kept). SAC: rho is
 * the lag of y, fit->lambda the error coefficient; SEM/SDEM: the error
 * coefficient is in rho. fe RANDOM: random unit effects (SAR/SDM/SEM), the
 * design untransformed with a constant, fit->phi = s2_mu/s2_e. GNS refused.
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
  int categories;             /* > 0: values are category codes 0..categories-1
                                 (at most SPILL_MAP_MAX_CLASSES), drawn in
                                 category_rgb with category_labels; no classing */
  const double *category_rgb; /* 3 * categories components in [0,1] */
  const char *const *category_labels; /* categories legend labels */
  const char *const *labels;  /* per unit text (UTF-8, e.g. city names) drawn
                                 at a point inside the unit with a white halo;
                                 a label that would overlap one already drawn
                                 is left out. NULL: none */
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
  size_t labels_drawn, labels_skipped; /* labels drawn, left out (overlap) */
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

/* Both write text in UTF-8 with a .cpg saying so (a map read in another
 * encoding has its own text converted and its text fields widened); a map
 * read from GeoJSON or GeoPackage is written from its geometries (outer
 * rings clockwise) with a .prj from its CRS; an output named .geojson is
 * written as a GeoJSON FeatureCollection instead. */
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

/* ======================================================================
 * ---- samples and W: the sample decides, W follows (estimation/sample.c,
 *      sample_if.c, sample_describe.c, panel_unbalanced.c) ----
 * ==================================================================== */

/* Units of a panel with keep[i] != 0 (keep has p->n entries), in the
 * panel's order, all periods (and the observed mask) kept. New panel owned
 * by the caller; fails when no unit is kept. */
spill_panel *spill_panel_subset_units(spill_ctx *ctx, const spill_panel *p,
                                      const unsigned char *keep);

/* How spill_panel_match_weights treats the two unit lists. */
typedef struct spill_wmatch_opts {
  int strict;         /* 1: W must have exactly the panel's units (no cut) */
  int drop_unmatched; /* 1: panel units missing from W are dropped (noted);
                         0: they are an error listing them */
  char style;         /* style applied to the (cut) W: 'W' row-standardise,
                         'B', 'C', 'U', 'S', 'M'; 0 or 'G': values as read */
} spill_wmatch_opts;

/* What spill_panel_match_weights did. The id lists hold the first few ids,
 * comma-separated, "..." when there are more. */
typedef struct spill_wmatch_report {
  int64_t w_units;            /* units in W as given */
  int64_t panel_units;        /* units in the panel as given */
  int64_t kept;               /* units used: in both */
  int64_t w_dropped;          /* W units not in the panel, cut from W */
  char w_dropped_ids[200];
  int64_t panel_dropped;      /* panel units not in W, dropped (drop_unmatched) */
  char panel_dropped_ids[200];
  int64_t new_islands;        /* kept units that had neighbours in W but lost
                                 all of them in the cut */
  char new_island_ids[200];
  char style;                 /* the style applied after the cut */
} spill_wmatch_report;

/* Match a panel to a weights matrix so the sample decides and W follows:
 *  - panel units missing from W: an error listing them (SPILL_EDATA), or,
 *    with opts->drop_unmatched, those units leave the panel;
 *  - W units missing from the panel: cut from W (spill_weights_subset), and
 *    the style re-applied to the cut matrix (row-standardise the cut matrix,
 *    not the full one), unless opts->strict (then an error as
 *    spill_panel_align gives);
 *  - the panel is then reordered to the (cut) W's unit order.
 * Ids are compared canonically ("110000.0" == "110000"). On success
 * *w_out receives a new W owned by the caller (a styled copy when nothing
 * was cut), the panel is modified in place, and when anything was dropped a
 * notice says how many units went, which (a few ids) and how many kept
 * units lost all their neighbours. rep (may be NULL) receives the same
 * counts. opts may be NULL (not strict, no drop, style 'W'). w is not
 * modified. This is the one call every command that takes a panel and a W
 * makes (fit, eventstudy, placebo, did, ...). */
int spill_panel_match_weights(spill_ctx *ctx, spill_panel *panel, const spill_weights *w,
                              const spill_wmatch_opts *opts, spill_weights **w_out,
                              spill_wmatch_report *rep);

/* Keep the units whose column COL satisfies cond, read from the same CSV
 * the panel came from (path, with unit ids in id_col). cond is
 * "COL=V1[,V2...]" (any of the values) or "COL!=V1[,V2...]" (none of them);
 * values are compared as text (surrounding blanks ignored) or as numbers
 * when both sides are numbers ("1" == "1.0"); text columns such as region
 * names work. A unit whose COL changes across its rows is an error naming
 * the unit and both values (a unit-level selection must be fixed over
 * time). An unknown column lists the columns; no unit left is an error.
 * The panel is modified in place; a notice says how many units were kept.
 * *kept (may be NULL) receives the count. */
int spill_panel_keep_if(spill_ctx *ctx, spill_panel *panel, const char *path, const char *id_col,
                        const char *cond, int64_t *kept);

/* Unit ids from a file: column col of a CSV with a header (col not NULL;
 * repeated ids, as in a long panel, are kept once, in order of first
 * appearance), or one id per line (col NULL; blank lines skipped). Ids are
 * canonical ("110000.0" -> "110000"). *ids (free with spill_free_ids) and
 * *n receive them. */
int spill_ids_read(spill_ctx *ctx, const char *path, const char *col, char ***ids, int64_t *n);

/* W restricted to the units listed (drop 0) or to all but them (drop 1),
 * the style re-applied to the cut matrix (as spill_weights_subset). Listed
 * ids that W lacks are an error naming them. rep (may be NULL) receives
 * w_units, kept, w_dropped (with ids), new_islands (with ids) and style. */
spill_weights *spill_weights_subset_ids(spill_ctx *ctx, const spill_weights *w,
                                        const char *const *ids, int64_t nids, int drop, char style,
                                        spill_wmatch_report *rep);

/* Drop the units with an unobserved cell (p->obs) in place, with a notice
 * listing a few; no-op for a balanced panel. Fails when no unit is left. */
int spill_panel_drop_incomplete(spill_ctx *ctx, spill_panel *p);

/* As spill_panel_read_csv, but an unbalanced panel is kept: a unit-period
 * without a row, or a row whose outcome, treatment or a control is missing
 * (empty, NA, ".", NaN), becomes an unobserved cell (p->obs; as Stata drops
 * rows with missing values, noted). p->obs is NULL when every cell is
 * observed. spec->drop_incomplete drops the units with unobserved cells
 * instead. Used for the two-way FE OLS DID, which handles unbalanced panels
 * exactly; the ML models need spill_panel_drop_incomplete first. */
spill_panel *spill_panel_read_csv_unbalanced(spill_ctx *ctx, const char *path,
                                             const spill_panel_spec *spec);

/* The treatment and the outcome must move: fails (SPILL_EDATA, naming the
 * column) when the outcome is constant over the observed cells, when the
 * treatment is the same (all 0 or all 1) for every unit and period, or when
 * the treatment takes a value other than 0 and 1 (p->d_name names it). */
int spill_panel_check_variation(spill_ctx *ctx, const spill_panel *p);

/* What the data look like: the facts a referee asks about. */
#define SPILL_DESC_MAX_COHORTS 64
typedef struct spill_sample_desc {
  int64_t units, periods, observations; /* observations: observed unit-periods */
  int64_t missing_cells;                /* unobserved unit-periods (unbalanced) */
  int64_t first_period, last_period;
  int has_treat;
  int64_t never_treated;   /* units with d = 0 in every observed period */
  int64_t always_treated;  /* treated in their first observed period, which is
                              the panel's first period (adopted before it) */
  char always_ids[200];
  int64_t switchers_off;   /* units whose d goes from 1 back to 0 */
  size_t n_cohorts;        /* adoption cohorts (first period with d = 1), */
  int64_t cohort_period[SPILL_DESC_MAX_COHORTS]; /* in increasing order; */
  int64_t cohort_units[SPILL_DESC_MAX_COHORTS];  /* always-treated excluded */
  int has_w;
  int64_t islands;         /* W's units without a neighbour */
  char island_ids[200];
  int64_t components;      /* connected components of W's graph */
} spill_sample_desc;
/* Describe panel p and (w may be NULL) its W (same units). */
int spill_sample_describe(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                          spill_sample_desc *desc);
/* A few lines of text: observations and units, periods, treatment cohorts,
 * never- and always-treated units, W's islands and components. */
int spill_sample_desc_print(spill_ctx *ctx, const spill_sample_desc *desc, FILE *out);
/* ---- Spatial dependence tests (estimation/moran.c, lisa.c, lmtests.c,
 * diagnose.c; shapes/lisa_map.c, moran_scatter.c) ---- */

/* Global Moran's I and Geary's C of one variable x (n*t values, time-major:
 * period s at x[s*n..s*n+n-1]) under W_nt = I_t (x) W (t = 1: a cross-
 * section). Moments under normality and under randomisation as Cliff and
 * Ord (1981, ch. 2) and spdep moran.test / geary.test give them; p-values
 * one-sided for positive autocorrelation (spdep's default "greater"):
 * z_I = (I - E I)/sd, z_C = (1 - C)/sd. With perm > 0, a permutation
 * pseudo p-value (R + 1 ranks, as spdep moran.mc and GeoDa): x permuted over
 * all n*t places, p = (#{I_perm >= I} + 1)/(perm + 1) (Geary: C_perm <= C). */
typedef struct spill_moran {
  int64_t n;                   /* n*t, less units without neighbours (spdep's adjust.n) */
  double s0, s1, s2;           /* Cliff-Ord weight sums of W_nt */
  double moran_i, ei, vi_norm, zi_norm, pi_norm, vi_rand, zi_rand, pi_rand;
  double geary_c, ec, vc_norm, zc_norm, pc_norm, vc_rand, zc_rand, pc_rand;
  int perm;                    /* permutations (0: none; p_perm NaN) */
  uint64_t seed;
  double pi_perm, pc_perm;     /* permutation pseudo p-values */
  double perm_mean_i, perm_sd_i; /* mean and SD of I over the permutations */
} spill_moran;
/* x must be finite (a NaN fails naming the unit and period); W needs at
 * least one link. */
int spill_moran_test(spill_ctx *ctx, const spill_weights *w, const double *x, int64_t t, int perm,
                     uint64_t seed, spill_moran *out);

/* The by-period table (the seeds' layout): one row per period, then
 * "pooled" (I_t (x) W over all periods) when t > 1; a cross-section
 * without times is labelled "all". */
typedef struct spill_moran_table {
  char *variable;              /* the variable's name */
  size_t count;
  char **label;                /* "1970", ..., "pooled" */
  spill_moran *row;
} spill_moran_table;
/* x in the panel's layout (n*t, time-major; W's unit order); times may be
 * NULL (1..t). Free with spill_moran_table_free. */
spill_moran_table *spill_moran_by_period(spill_ctx *ctx, const spill_weights *w, const double *x,
                                         int64_t t, const int64_t *times, const char *variable,
                                         int perm, uint64_t seed);
void spill_moran_table_free(spill_moran_table *tab);
/* Text (aligned), CSV, LaTeX (booktabs) or JSON (jansson). */
int spill_moran_table_print(spill_ctx *ctx, const spill_moran_table *tab, FILE *out, spill_table_fmt fmt);
int spill_moran_table_save(spill_ctx *ctx, const spill_moran_table *tab, const char *path,
                           spill_table_fmt fmt);

/* Local Moran (Anselin 1995), as spdep localmoran (mlvar = TRUE):
 * z = x - mean, m2 = z'z/n, I_i = (z_i/m2) (W z)_i; E and Var under total
 * randomisation (spdep < 1.1 and spdep's conditional = FALSE: E = -w_i/(n-1),
 * Var = A w_i(2) + B (w_i^2 - w_i(2)) - E^2, A = (n - b2)/(n-1), B = (2 b2 -
 * n)/((n-1)(n-2)), b2 = m4/m2^2) or conditional on x_i (spdep >= 1.1
 * default: E = -z_i^2 w_i/((n-1) m2), Var = (z_i/m2)^2 n/(n-2) (w_i(2) -
 * w_i^2/(n-1)) (m2 - z_i^2/(n-1))), with w_i = sum_j w_ij, w_i(2) = sum_j w_ij^2.
 * Pseudo p-values by conditional permutation (x_i fixed, its neighbours
 * drawn without replacement from the other n-1 values; GeoDa and spdep
 * localmoran_perm), folded: p = (min(#{I_perm >= I_i}, #{I_perm <= I_i}) + 1)
 * / (perm + 1). Clusters (GeoDa's codes) where p <= alpha (or, with fdr,
 * below the Benjamini-Hochberg cut): quadrant of the standardised x and its
 * lag, as libgeoda (x > 0 and lag < 0 High-Low, x < 0 and lag > 0 Low-High,
 * both < 0 Low-Low, else High-High); a unit without neighbours is
 * SPILL_LISA_ISOLATED (GeoDa's "Isolated", #999999). */
enum { SPILL_LISA_NS = 0, SPILL_LISA_HH, SPILL_LISA_LL, SPILL_LISA_LH, SPILL_LISA_HL, SPILL_LISA_ISOLATED };
typedef struct spill_lisa_opts {
  int perm;          /* conditional permutations (default 999; 0: clusters use p_norm) */
  uint64_t seed;     /* default 1 */
  double alpha;      /* default 0.05 */
  int fdr;           /* 1: Benjamini-Hochberg false discovery rate at alpha */
  int total_var;     /* 1: E/Var under total randomisation (spdep conditional = FALSE) */
} spill_lisa_opts;
void spill_lisa_opts_init(spill_lisa_opts *o);
typedef struct spill_lisa {
  int64_t n;
  char **ids;        /* n (W's ids, copied) */
  double *x;         /* the values */
  double *zs, *lag;  /* standardised x ((x - mean)/sd, sd with n - 1) and its W lag */
  double *ii, *e, *var, *z, *p_norm; /* I_i, E, Var, Z, two-sided normal p */
  double *p_perm;    /* pseudo p (NaN without permutations) */
  int *cluster;      /* SPILL_LISA_* */
  size_t counts[6];  /* units per cluster code (ISOLATED: no neighbours) */
  double alpha, cut; /* alpha and the p cut used (BH cut with fdr) */
  int perm, fdr, total_var;
  uint64_t seed;
  double global_i;   /* Moran's I (the scatter's slope when W is row-standardised) */
} spill_lisa;
spill_lisa *spill_lisa_compute(spill_ctx *ctx, const spill_weights *w, const double *x,
                               const spill_lisa_opts *opts);
void spill_lisa_free(spill_lisa *l);
/* "not significant", "High-High", "Low-Low", "Low-High", "High-Low", "no neighbours". */
const char *spill_lisa_cluster_name(int code);
/* GeoDa's colours of the codes: rgb[3] in [0,1]. */
void spill_lisa_cluster_rgb(int code, double rgb[3]);
/* CSV: id,x,z_std,lag_std,Ii,E_Ii,Var_Ii,Z_Ii,p_norm,p_perm,cluster,cluster_name (atomic). */
int spill_lisa_write_csv(spill_ctx *ctx, const spill_lisa *l, const char *path);

/* The Moran scatter plot (Anselin 1996): standardised x against its lag,
 * the fitted line of slope I through the origin, axes at zero; points by
 * cluster (significant High-High vermillion and Low-Low blue filled, High-
 * Low and Low-High hollow in the same hues, the rest grey hollow). PNG, SVG
 * or PDF by extension; width in pixels/points (0: 900). Drawn with the
 * chart layer (shapes/chart.c); stats may be NULL. */
typedef struct spill_scatter_stats {
  int width, height;
  double plot_box[4];    /* x0 y0 x1 y1 of the plotting area */
  double ax, bx, ay, by; /* image x = ax + bx * z, image y = ay + by * lag */
  size_t markers;        /* points drawn */
} spill_scatter_stats;
int spill_moran_scatter(spill_ctx *ctx, const spill_lisa *l, const char *variable, int width,
                        const char *out_path, spill_scatter_stats *stats);

/* The LISA cluster map (shapes/lisa_map.c): the layer's units coloured by
 * cluster in GeoDa's colours (High-High #FF0000, Low-Low #0000FF, Low-High
 * #A7ADF9, High-Low #F4ADA8, not significant #EEEEEE), the legend with the
 * counts; layer units are matched to l's ids (canonically), units absent
 * from l drawn as missing. base may be NULL (width, title, crs from it). */
int spill_lisa_map(spill_ctx *ctx, const spill_layer *layer, const spill_lisa *l,
                   const spill_map_opts *base, const char *out_path, spill_map_stats *stats);
/* The layer with fields LISA_I, LISA_Z, LISA_P (the p used for the
 * clusters), LISA_CL (code) and LISA_CLN (name) added, as
 * spill_layer_write_fields writes it. rep may be NULL. */
int spill_lisa_write_shp(spill_ctx *ctx, const spill_layer *layer, const spill_lisa *l, const char *out_shp,
                         spill_write_report *rep);

/* LM tests of a spatial lag and a spatial error after least squares
 * (Anselin 1988; Anselin, Bera, Florax and Yoon 1996, robust forms; SARMA
 * = RLM-lag + LM-error as spdep), for a cross-section (fe NONE, with a
 * constant) and for panels after unit, time or two-way fixed effects with
 * W_nt = I_t (x) W (Elhorst 2014, sec. 3.5; splm slmtest model "within"):
 * e the within residuals, s2 = e'e/(nt), T_W = tr(W'W + WW),
 * J = (W Z b)' M (W Z b)/s2 + t T_W,
 * LM-lag = (e' Wy/s2)^2/J, LM-err = (e'We/s2)^2/(t T_W),
 * RLM-lag = (e'Wy/s2 - e'We/s2)^2/(J - t T_W),
 * RLM-err = (e'We/s2 - t T_W/J e'Wy/s2)^2/(t T_W (1 - t T_W/J)).
 * With time effects, splm_wy = 1 lags the demeaned y and fitted values
 * (W Q y, W Z b: Elhorst's and splm's definition), 0 demeans the lags
 * (Q W y, Q W Z b); with unit effects alone they are identical. */
typedef struct spill_lmtests {
  spill_fe fe;
  int64_t n, t;
  int splm_wy;
  size_t k;                    /* regressors (constant included) */
  double s2, tw, j;            /* e'e/nt, tr(W'W + WW), J */
  double lm_lag, lm_err, rlm_lag, rlm_err, sarma;
  double p_lag, p_err, p_rlag, p_rerr, p_sarma; /* chi-square upper tails (df 1; SARMA 2) */
  double loglik;               /* of the least-squares fit: -nt/2 (ln(2 pi s2) + 1) */
} spill_lmtests;
/* p aligned to w; p->d, if any, is a regressor like the controls. */
int spill_lm_tests(spill_ctx *ctx, const spill_panel *p, const spill_weights *w, spill_fe fe,
                   int splm_wy, spill_lmtests *out);
/* Residuals e (n*t, panel layout) of the least-squares fit that the LM
 * tests use (within-transformed; fe NONE adds a constant). */
int spill_ls_residuals(spill_ctx *ctx, const spill_panel *p, const spill_weights *w, spill_fe fe, double *e);
/* Moran's I of least-squares residuals of a cross-section (t = 1, fe NONE,
 * constant added) with the moments of Cliff and Ord (1981, sec. 8.3) as
 * spdep lm.morantest: E = (n/S0) tr(MW)/(n-k), Var = (n/S0)^2 [tr(MWMW') +
 * tr((MW)^2) + tr(MW)^2]/((n-k)(n-k+2)) - E^2 (normality; one-sided p). */
typedef struct spill_moran_resid { double moran_i, e, var, z, p; int64_t n; size_t k; } spill_moran_resid;
int spill_moran_residuals(spill_ctx *ctx, const spill_panel *p, const spill_weights *w, spill_moran_resid *out);
/* LR tests of the joint significance of unit and time fixed effects in the
 * non-spatial model (Elhorst 2014, sec. 3.5): LR_unit = 2 (lnL_twoways -
 * lnL_time) with n - 1 df, LR_time = 2 (lnL_twoways - lnL_unit) with t - 1
 * df, from the lm tests' log-likelihoods. */
typedef struct spill_fe_lr { double lr_unit, df_unit, p_unit, lr_time, df_time, p_time; } spill_fe_lr;
void spill_fe_lr_tests(const spill_lmtests *twoways, const spill_lmtests *unit,
                       const spill_lmtests *time, spill_fe_lr *out);

/* The model-choice section (spill diagnose): rows of tests with a reading. */
typedef struct spill_diag_row {
  char section[40];   /* "Moran's I of y", "LM tests, unit FE", ... */
  char name[48];      /* "1970", "LM-lag", "Hausman (FE vs RE)" */
  double stat, df, p; /* NaN where it does not apply */
  char reading[200];  /* one line: what the row says */
} spill_diag_row;
typedef struct spill_diagnose {
  size_t count, cap;
  spill_diag_row *row;
  char y[64];
  int64_t n, t;
} spill_diagnose;
typedef struct spill_diagnose_opts {
  int perm;           /* Moran permutations (default 0) */
  uint64_t seed;
  int splm_wy;        /* the W y convention with time effects (spill_fit_opts) */
  int no_sdm;         /* 1: leave out the SDM fit (and its LR/Wald rows) */
  spill_fe sdm_fe;    /* FE of the SDM fit (default two-way) */
  double alpha;       /* level of the readings (default 0.05) */
} spill_diagnose_opts;
void spill_diagnose_opts_init(spill_diagnose_opts *o);
/* Moran's I of y by period and pooled, the LM tests under no, unit, time and
 * two-way FE, the FE LR tests, a "Hausman (FE vs RE)" row (NaN until wired:
 * spill_diagnose_set), and the SDM vs SAR/SEM LR and Wald tests. p aligned to w. */
spill_diagnose *spill_diagnose_run(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                                   const spill_diagnose_opts *opts);
/* Fill the row named name (e.g. "Hausman (FE vs RE)") with a result. */
int spill_diagnose_set(spill_ctx *ctx, spill_diagnose *d, const char *name, double stat, double df,
                       double p, const char *reading);
void spill_diagnose_free(spill_diagnose *d);
int spill_diagnose_print(spill_ctx *ctx, const spill_diagnose *d, FILE *out, spill_table_fmt fmt);
int spill_diagnose_save(spill_ctx *ctx, const spill_diagnose *d, const char *path, spill_table_fmt fmt);
/* ---- DID diagnostics: event study, placebo, Goodman-Bacon, heterogeneity
 *      (estimation/eventstudy.c, placebo.c, bacon.c, heterogeneity.c,
 *      did_common.c; figures by shapes/chart.c) ---- */

/* Event study: leads and lags of each unit's adoption (the first period with
 * treatment 1) replace the treatment: dummies for relative periods -lead..lag
 * with the endpoints binned (<= -lead, >= lag) and period `ref` omitted;
 * never-treated units have all dummies 0. TWFE (model OLS): two-way within
 * OLS, cluster-robust SEs by unit. SDM: every dummy enters with its W term,
 * and the direct, indirect and total effects of each relative period come
 * with simulated SEs (as spill_effects_compute). The pre-trend test is the
 * joint Wald test that every lead (relative period < 0, ref excluded) is
 * zero: the coefficients (TWFE) or the coefficients and their W terms (SDM). */
typedef struct spill_es_opts {
  spill_model model;          /* SPILL_MODEL_OLS (TWFE, default) or SPILL_MODEL_SDM */
  int lead, lag;              /* window (default 4 and 4) */
  int ref;                    /* omitted period (default -1) */
  spill_logdet logdet;
  spill_effects_opts effects; /* SDM effects draws, seed, level */
} spill_es_opts;
void spill_es_opts_init(spill_es_opts *o);

typedef struct spill_eventstudy {
  spill_model model;
  int lead, lag, ref;
  size_t m;                    /* relative periods estimated (window less ref) */
  int *rel;                    /* m relative periods, increasing */
  char **names;                /* m dummy names ("pre4".."post0".."post4") */
  double *coef, *se, *p;       /* m: coefficient (SDM: beta), SE, p-value; NaN if dropped */
  double *wcoef, *wse;         /* m: SDM W terms (NULL for TWFE) */
  spill_effect_stat *direct, *indirect, *total; /* m each, SDM only (else NULL) */
  double pre_wald, pre_p;      /* joint pre-trend test */
  int pre_df;
  double rho, rho_se;          /* SDM */
  int64_t n, t, treated, never, always;
  spill_fit *fit;              /* the underlying fit (owned) */
} spill_eventstudy;
/* Fit on panel p (aligned to w; w may be NULL for TWFE). Free with
 * spill_eventstudy_free. */
spill_eventstudy *spill_eventstudy_fit(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                                       const spill_es_opts *opts);
void spill_eventstudy_free(spill_eventstudy *es);
/* Table: relative period, estimate, SE, 95% interval, p (SDM: beta, theta,
 * direct, indirect, total with SEs), then the pre-trend test. */
int spill_eventstudy_print(spill_ctx *ctx, const spill_eventstudy *es, FILE *out, spill_table_fmt fmt);
int spill_eventstudy_save(spill_ctx *ctx, const spill_eventstudy *es, const char *path,
                          spill_table_fmt fmt);
/* Figure (PNG/SVG/PDF by extension): estimates with 95% intervals against
 * relative time, the omitted period at 0, a line at zero and one at the
 * adoption; the SDM draws one panel per effect. title may be NULL. */
int spill_eventstudy_plot(spill_ctx *ctx, const spill_eventstudy *es, const char *path,
                          const char *title);

/* Placebo (randomisation inference). PERMUTE reassigns the real adoption
 * periods to random units (the number of pilots and each cohort's size are
 * kept); RANDOM_TIME draws as many pilots with adoption periods drawn
 * uniformly from the second to the last period; SHIFT moves every real
 * adoption back `shift` periods on the periods before the first real
 * adoption (one estimate, no distribution). Each replication has its own
 * random stream (seed, replication), so results do not depend on threads. */
typedef enum spill_placebo_mode {
  SPILL_PLACEBO_PERMUTE = 0, SPILL_PLACEBO_RANDOM_TIME, SPILL_PLACEBO_SHIFT
} spill_placebo_mode;
typedef struct spill_placebo_opts {
  spill_model model;          /* SPILL_MODEL_OLS (TWFE, default) or SPILL_MODEL_SDM */
  spill_placebo_mode mode;
  int reps;                   /* default 500 */
  int shift;                  /* SHIFT: periods (default 2) */
  uint64_t seed;              /* default 1 */
  spill_logdet logdet;
} spill_placebo_opts;
void spill_placebo_opts_init(spill_placebo_opts *o);

typedef struct spill_placebo {
  spill_model model;
  spill_placebo_mode mode;
  int reps, shift;
  uint64_t seed;
  int64_t n, t, pilots;
  /* the real estimates (SHIFT: the estimate at the shifted dates) */
  double coef, se, p;          /* TWFE coefficient (SDM: beta) */
  double direct, indirect, total, rho; /* SDM (NaN for TWFE) */
  /* reps placebo draws: estimate, its own p-value (TWFE: cluster-robust;
   * SDM: beta's, given rho), and the SDM effects */
  double *b, *bp, *bdirect, *bindirect;
  double mean, sd;             /* of b */
  /* permutation p-values (1 + #{|placebo| >= |real|}) / (1 + reps) */
  double p_coef, p_direct, p_indirect;
  int threads;
} spill_placebo;
/* Run the placebo on p (aligned to w; w may be NULL for TWFE). The refits
 * reuse what does not change: the within transform of y and the controls,
 * their projections, and ln|I - rho W| on a grid. */
spill_placebo *spill_placebo_run(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                                 const spill_placebo_opts *opts);
void spill_placebo_free(spill_placebo *pl);
int spill_placebo_print(spill_ctx *ctx, const spill_placebo *pl, FILE *out, spill_table_fmt fmt);
int spill_placebo_save(spill_ctx *ctx, const spill_placebo *pl, const char *path, spill_table_fmt fmt);
/* Placebo draws as CSV: rep,estimate,p[,direct,indirect] (atomic). */
int spill_placebo_write_draws(spill_ctx *ctx, const spill_placebo *pl, const char *path);
/* Figure: kernel density of the placebo estimates and their p-values
 * (scatter, right axis), the real estimate marked; SDM: one panel each for
 * beta, direct and indirect. */
int spill_placebo_plot(spill_ctx *ctx, const spill_placebo *pl, const char *path, const char *title);

/* Goodman-Bacon (2021) decomposition of the two-way FE DID estimate into
 * every 2x2 comparison. Timing groups are the adoption periods; units
 * treated from the first period are "always treated" and, as in the paper
 * and R bacondecomp, serve only as controls for later groups ("later vs
 * always treated"). Balanced panels with an absorbing treatment. With
 * controls, the Frisch-Waugh form of the paper (sec. 5), as R bacondecomp
 * computes it: the estimate is omega * within + (1 - omega) * sum of the
 * covariate-adjusted between-group 2x2 terms (one per pair of groups, over
 * the whole panel: treated vs never, both treated, later vs always). */
typedef enum spill_bacon_type {
  SPILL_BACON_TREATED_NEVER = 0, /* treated vs never treated */
  SPILL_BACON_EARLY_LATE,        /* earlier vs later treated (later not yet treated) */
  SPILL_BACON_LATE_EARLY,        /* later vs earlier treated (earlier already treated) */
  SPILL_BACON_LATE_ALWAYS,       /* later vs always treated */
  SPILL_BACON_BOTH_TREATED,      /* with controls: a pair of timing groups, both ways at once */
  SPILL_BACON_NTYPES
} spill_bacon_type;
typedef struct spill_bacon_cmp {
  spill_bacon_type type;
  int64_t treated, control;    /* adoption periods of the two groups (0: never) */
  int64_t n_treated, n_control;
  double weight, estimate;
} spill_bacon_cmp;
typedef struct spill_bacon {
  int64_t n, t, never, always;
  size_t count;
  spill_bacon_cmp *c;
  double twfe, twfe_se;        /* two-way FE estimate (cluster-robust SE) */
  double type_weight[SPILL_BACON_NTYPES], type_estimate[SPILL_BACON_NTYPES];
  double weighted_sum;         /* sum of weight * estimate (= twfe without controls) */
  int controls;                /* number of controls (0: plain decomposition) */
  double omega, within;        /* with controls: within-group weight and estimate */
  double between;              /* with controls: sum of weight * estimate of the 2x2 terms */
} spill_bacon;
spill_bacon *spill_bacon_compute(spill_ctx *ctx, const spill_panel *p);
void spill_bacon_free(spill_bacon *b);
const char *spill_bacon_type_name(spill_bacon_type t);
/* Summary by type, then every comparison (CSV/JSON: both). */
int spill_bacon_print(spill_ctx *ctx, const spill_bacon *b, FILE *out, spill_table_fmt fmt);
int spill_bacon_save(spill_ctx *ctx, const spill_bacon *b, const char *path, spill_table_fmt fmt);
/* Scatter of weight against estimate by type, the TWFE estimate as a line. */
int spill_bacon_plot(spill_ctx *ctx, const spill_bacon *b, const char *path, const char *title);

/* Heterogeneity by a unit-level group (a control column constant within each
 * unit, removed from the controls): separate fits by group (SDM: W cut to
 * the group and re-standardised), and three tests of equal treatment
 * effects: the pooled interaction model (treatment x group, Wald, cluster-
 * robust; SDM: with the W terms), a seemingly-unrelated comparison of the
 * separate fits (as Stata suest: joint cluster-robust covariance of the
 * stacked scores; SDM: of the direct and of the indirect effects), and
 * Fisher's permutation test (as Stata bdiff: group labels permuted across
 * units, empirical p-value). */
typedef struct spill_het_opts {
  spill_model model;           /* SPILL_MODEL_OLS (default) or SPILL_MODEL_SDM */
  int reps;                    /* permutations (default 1000; 0 none) */
  uint64_t seed;
  spill_logdet logdet;
  spill_effects_opts effects;
} spill_het_opts;
void spill_het_opts_init(spill_het_opts *o);
typedef struct spill_het_group {
  double value;                /* the group's value of the column */
  char *label;                 /* its text (spill_heterogeneity_set_labels), or NULL */
  int64_t units;
  double coef, se;             /* treatment coefficient (SDM: beta) */
  spill_effect_stat direct, indirect; /* SDM */
  spill_fit *fit;              /* owned */
} spill_het_group;
typedef struct spill_heterogeneity {
  spill_model model;
  char *by;
  size_t groups;
  spill_het_group *g;
  double wald, wald_p; int wald_df;          /* pooled interaction */
  double sur, sur_p; int sur_df;             /* seemingly unrelated (coefficient) */
  double sur_direct, sur_direct_p, sur_indirect, sur_indirect_p; /* SDM */
  int reps;
  double diff, perm_p, perm_p1;  /* first minus last group; two-sided and one-sided (bdiff) */
  double diff_direct, perm_p_direct, diff_indirect, perm_p_indirect; /* SDM */
} spill_heterogeneity;
spill_heterogeneity *spill_heterogeneity_fit(spill_ctx *ctx, const spill_panel *p,
                                             const spill_weights *w, const char *by,
                                             const spill_het_opts *opts);
void spill_heterogeneity_free(spill_heterogeneity *h);
/* A grouping column given as text ("east", "central", "west") or numbers:
 * column col of the CSV at path (rows matched to the panel's units on
 * id_col, ids compared canonically; the value must be the same in every row
 * of a unit) is appended to p's controls as codes 0..k-1 in sorted order
 * (numeric order when every value is a number). *labels receives the k
 * texts (malloc'ed, free each and the array). */
int spill_panel_group_column(spill_ctx *ctx, spill_panel *p, const char *path, const char *id_col,
                             const char *col, char ***labels, size_t *k);
/* Name the groups of h (values 0..k-1 as spill_panel_group_column codes them). */
int spill_heterogeneity_set_labels(spill_ctx *ctx, spill_heterogeneity *h, char *const *labels, size_t k);
int spill_heterogeneity_print(spill_ctx *ctx, const spill_heterogeneity *h, FILE *out,
                              spill_table_fmt fmt);
int spill_heterogeneity_save(spill_ctx *ctx, const spill_heterogeneity *h, const char *path,
                             spill_table_fmt fmt);
/* ---- staggered DID robust to heterogeneous effects and to spillovers
 *      (estimation/callaway.c, imputation.c, exposure.c, did_result.c) ---- */

/* Exposure of untreated units to nearby treatment (Butts 2021, arXiv
 * 2105.03737): each unit-period gets a ring 0 (clean: neither treated nor
 * exposed) or k = 1..rings; treated unit-periods have ring 0 (their effect
 * includes what other pilots send them). Panel and W/points in the same
 * unit order (spill_panel_align). Built from the panel's treatment d. */
typedef struct spill_exposure {
  int64_t n, t;
  int rings;        /* exposure categories K >= 1 */
  char **labels;    /* K labels: "W d > 0", "W d >= 0.5", "0-50 km", "order 2" */
  int *ring;        /* n*t, time-major [s*n + i]: 0 or 1..K */
  int64_t *onset;   /* n: first period (time value) the unit is exposed while
                       untreated; INT64_MIN never */
  char *kind;       /* "any", "cutoff", "rings", "orders" */
} spill_exposure;
void spill_exposure_free(spill_exposure *e);
/* (W d_t)_i > 0 (cutoff <= 0) or (W d_t)_i >= cutoff, W as given. */
spill_exposure *spill_exposure_from_w(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                                      double cutoff);
/* Contiguity orders: ring k = the nearest treated unit is exactly k steps
 * away in W's graph (spill_weights_higher_order), k = 1..max_order. */
spill_exposure *spill_exposure_orders(spill_ctx *ctx, const spill_panel *p, const spill_weights *w,
                                      int max_order);
/* Distance rings: ring k when the distance to the nearest treated unit lies
 * in (edges_km[k-1], edges_km[k]], edges_km[0] = 0 implied; nedges >= 1
 * increasing outer edges. pts in the panel's unit order (geodesic km when
 * geographic: spill_distance_km). */
spill_exposure *spill_exposure_rings(spill_ctx *ctx, const spill_panel *p, const spill_points *pts,
                                     const double *edges_km, int nedges);

typedef enum spill_did_method {
  SPILL_DID_CS = 0,        /* Callaway and Sant'Anna (2021) */
  SPILL_DID_IMPUTATION,    /* Borusyak, Jaravel and Spiess (2024) */
  SPILL_DID_TWOSTAGE,      /* Gardner (2022), did2s */
  SPILL_DID_TWFE           /* two-way fixed effects OLS, clustered by unit */
} spill_did_method;
typedef enum spill_cs_control { SPILL_CS_NEVER = 0, SPILL_CS_NOTYET } spill_cs_control;
typedef enum spill_cs_base { SPILL_CS_VARYING = 0, SPILL_CS_UNIVERSAL } spill_cs_base;
/* ATT(g,t) with covariates: outcome regression (DRDID reg_did_panel) or
 * doubly robust (drdid_panel, Sant'Anna and Zhao 2020); without covariates
 * both reduce to the difference of mean changes. */
typedef enum spill_cs_est { SPILL_CS_DR = 0, SPILL_CS_REG } spill_cs_est;

typedef struct spill_did_opts {
  spill_did_method method;
  spill_cs_control control;
  spill_cs_base base;
  spill_cs_est est;
  int use_x;            /* 1: use the panel's controls (CS: at the base period,
                           imputation/two-stage: time-varying in the first stage) */
  int boot;             /* multiplier-bootstrap draws (default 999): CS SEs and bands
                           (0: analytic SEs, no bands); imputation/two-stage: the
                           event-time tables' uniform band (SEs stay analytic) */
  uint64_t seed;        /* bootstrap seed (default 1); results do not depend on threads */
  double level;         /* interval level (default 0.95) */
  const spill_exposure *exposure; /* NULL: no spillover categories */
  int leads;            /* imputation/two-stage: add pre-period rows (default 1) */
  const int64_t *cluster; /* p->n cluster codes in the panel's unit order (e.g. a
                             province code), NULL: cluster by unit. Used by the CS
                             bootstrap and analytic SEs (did's clustervars: cluster
                             sums of the influence function) and by the imputation
                             and two-stage SEs; TWFE/SDM comparisons stay by unit. */
} spill_did_opts;
void spill_did_opts_init(spill_did_opts *opts);

/* One estimate. Keys not used by a table are INT64_MIN. */
typedef struct spill_did_row {
  char *label;          /* "ATT(2004,2005)", "e=-1", "simple ATT", "TWFE" */
  int64_t g, t, e;      /* cohort, period, event time */
  double est, se;       /* se: bootstrap (CS with boot > 0) or analytic */
  double lo, hi;        /* pointwise interval at level */
  double ulo, uhi;      /* uniform band (NaN when the table has none) */
  int64_t nobs;         /* treated (or exposed) unit-periods or units behind it */
} spill_did_row;
typedef struct spill_did_table {
  char *name;           /* "ATT(g,t)", "event time", "group", "calendar", "overall",
                           "spillover 0-50 km by event time", "comparison" */
  size_t count;
  spill_did_row *row;
  double crit;          /* uniform-band critical value (NaN: none) */
} spill_did_table;
typedef struct spill_did_result {
  spill_did_method method;
  char *description;    /* one line: method, controls, base period, SEs */
  int64_t n, t;         /* units and periods used */
  int64_t n_treated, n_never; /* eventually treated and never-treated units */
  size_t ntab;
  spill_did_table *tab;
  size_t nnotes;
  char **notes;         /* what is and is not identified, units dropped, ... */
  int boot; uint64_t seed; double level;
} spill_did_result;

/* Estimate on a balanced panel with absorbing treatment p->d (staggered
 * adoption). Fails (SPILL_EDATA) when d switches off, naming the unit.
 * Units treated from the first period and periods where Y(0) cannot be
 * identified are dropped with notes in the result. Returns a result owned by
 * the caller. */
spill_did_result *spill_did_estimate(spill_ctx *ctx, const spill_panel *p, const spill_did_opts *opts);
/* Add a "comparison" table: plain TWFE (and TWFE with the exposure rings
 * when opts->exposure), and the SDM-DID effects of the treatment when w is
 * given (w as the SDM is to be fitted, e.g. row-standardised). */
int spill_did_compare(spill_ctx *ctx, spill_did_result *r, const spill_panel *p, const spill_weights *w,
                      const spill_did_opts *opts);
void spill_did_result_free(spill_did_result *r);
/* The table by name, or NULL. */
const spill_did_table *spill_did_find(const spill_did_result *r, const char *name);
/* Tables as text (aligned), CSV (table,label,g,t,e,estimate,se,lo,hi,ulo,uhi,n),
 * LaTeX (booktabs) or JSON (jansson); _save writes path atomically. */
int spill_did_print(spill_ctx *ctx, const spill_did_result *r, FILE *out, spill_table_fmt fmt);
int spill_did_save(spill_ctx *ctx, const spill_did_result *r, const char *path, spill_table_fmt fmt);
/* The event-time figure (.png/.svg/.pdf by extension, written atomically):
 * estimates with pointwise intervals and the uniform band when there is one
 * (CS with the bootstrap); leads hollow; one panel for the treated and one
 * per spillover ring (up to 3). title NULL: the result's description. */
int spill_did_plot(spill_ctx *ctx, const spill_did_result *r, const char *path, const char *title);
/* ---- map formats and text encodings (shapes/geojson.c, gpkg.c, dbf.c) ---- */

/* The encoding the layer's attribute text was read in ("UTF-8", "GBK",
 * "GB18030", "CP1252", ...; cells are always given as UTF-8). */
const char *spill_layer_encoding(const spill_layer *layer);
/* ---- the model family: SAC, SDEM, random effects, Hausman (estimation/sac.c,
 * re.c, hausman.c, leeyu.c) ---- */

/* Spatial Hausman test of fixed against random unit effects (Mutl and
 * Pfaffermayr 2011), as R splm sphtest(spatial.model = "lag" | "error",
 * method = "ML"): the model (SAR, SDM or SEM) fitted with unit fixed effects
 * and with random effects; H = |d'(V_re - V_fe)^-1 d| over the slope
 * coefficients d = b_fe - b_re (the spatial parameter and constant left out),
 * V_fe the slope block of the FE information-matrix inverse and V_re the GLS
 * covariance sigma2 (X*'X*)^-1 at the RE estimates; chi-square with df = the
 * number of slopes. The panel must be aligned to w. */
typedef struct spill_hausman_result {
  double stat, p;
  int df;
  spill_model model;
  double rho_fe, rho_re, phi; /* the spatial parameter of each fit, RE phi */
} spill_hausman_result;
int spill_hausman(spill_ctx *ctx, const spill_panel *panel, const spill_weights *w, spill_model model,
                  spill_hausman_result *res);

/* ---- files as they come (files): text panels in any separator and
 * encoding, Stata .dta, header-less and Stata weight matrices
 * (core/table.c, core/encoding.c, core/dta.c, spatial/wmatrix.c,
 * spatial/stata.c, estimation/panel_files.c) ---- */

/* How a text table (CSV, TSV) is read; all zero: detect everything. */
typedef struct spill_text_opts {
  char sep;             /* field separator; 0: detected from the first lines: ',', ';' or tab
                           (the one splitting them consistently; ',' when none occurs) */
  char decimal;         /* decimal mark '.' or ','; 0: ',' when the separator is ';' and
                           number-like cells hold one comma ("3,25"), else '.' */
  const char *encoding; /* NULL: UTF-8, else GB18030 (GBK) when the text is not valid UTF-8,
                           with a notice; or an iconv name ("GBK", "BIG5", "LATIN1") */
} spill_text_opts;

/* Text options for every table read through ctx from now on (panels, id
 * lists, --if columns); NULL: detect. The options are not copied: keep them
 * alive while ctx reads. (core/ctx.c) */
void spill_ctx_set_text_opts(spill_ctx *ctx, const spill_text_opts *text);

/* Read a long-format panel (as spill_panel_read_csv); the format follows the
 * extension: .dta (Stata 8-18, through ReadStat) or text (.csv, .tsv, .txt,
 * any other) read with text (NULL: detect everything). In a .dta, variable
 * names are used as they are; a value with a value label reads as the
 * label's text (so a labelled id column gives the labels as ids, as Stata's
 * `decode` would) while numeric use (outcome, treatment, controls, periods)
 * takes the number underneath; missing values (., .a-.z, empty strings) are
 * missing. In every format a row whose outcome, treatment or a control is
 * missing ("", ".", "NA", NaN) is left out with a notice, so its unit-period
 * counts as absent (then the balanced-panel rules apply). Messages name
 * "line" L for data row L-1 (observation L-1 of a .dta). */
spill_panel *spill_panel_read(spill_ctx *ctx, const char *path, const spill_panel_spec *spec,
                              const spill_text_opts *text);

/* spill_panel_means reading path with text options (NULL: detect); .dta too. */
int spill_panel_means_text(spill_ctx *ctx, const char *path, const spill_text_opts *text,
                           const char *id_col, const char *time_col, const char *var_col, long from,
                           long to, char ***ids, double **xbar, int64_t *n);

/* Unit ids from a list file: one id per line (blank lines skipped, CR and
 * surrounding blanks removed, numbers canonical), decoded as in
 * spill_text_opts (encoding NULL: detect). *ids (n malloc'ed strings; free
 * with spill_free_ids) and *n receive them. Repeated ids are an error. */
int spill_read_ids(spill_ctx *ctx, const char *path, const char *encoding, char ***ids, int64_t *n);

/* A header-less n x n matrix (MATLAB `save -ascii`/dlmwrite, an Excel sheet
 * saved as CSV): rows of numbers separated by commas, semicolons (then a
 * comma is the decimal mark), tabs or blanks; row and column i belong to
 * unit ids[i]. A count of rows or of numbers in a row other than n is an
 * error naming the line; so is a cell that is not a number. Zeros are not
 * stored; style G. */
spill_weights *spill_weights_read_matrix(spill_ctx *ctx, const char *path, const char *const *ids,
                                         int64_t n);

/* Per-city effects as a Stata .dta (118, UTF-8): the columns of
 * spill_city_effects_write_csv; a numeric id column when every id is a
 * number, else a string one. Written atomically. */
int spill_city_effects_write_dta(spill_ctx *ctx, const spill_city_effects *c, const char *path);

/* ---- IV-2SLS and PSM-DID (estimation/iv.c, estimation/psm.c) ---- */
/* IV-2SLS on a panel with fixed effects absorbed by the exact within
 * transform (balanced or p->obs), as Stata ivreghdfe/ivreg2. Regressors:
 * the endogenous columns then the exogenous ones; instruments: the excluded
 * ones then the exogenous regressors. Columns are indices into p->x, with
 * SPILL_IV_D naming the panel's treatment p->d. Every x column not listed as
 * endogenous or instrument is ignored unless listed in exog. */
#define SPILL_IV_D ((size_t)-1)
typedef struct spill_iv_opts {
  spill_fe fe;                 /* TWOWAYS (default), UNIT, TIME or NONE (then a constant) */
  const size_t *endog; size_t n_endog;
  const size_t *instr; size_t n_instr;  /* excluded instruments, n_instr >= n_endog */
  const size_t *exog; size_t n_exog;    /* included exogenous controls */
  const int64_t *cluster;      /* n*t cluster codes (time-major), or NULL: by unit */
  const char *cluster_name;    /* for tables ("unit" when NULL) */
  /* further absorbed effects and the variance (ivreghdfe absorb(), vce()),
   * named as in spill_absorb_opts and read from the panel file path: */
  const char *path, *id_col, *time_col;   /* the panel file and its id and time columns */
  const char *const *absorb; size_t n_absorb;  /* "prov", "prov#year", "prov#c.year" */
  const char *vce;             /* NULL (cluster above), "robust", "cluster COL", "cluster COL1#COL2" */
} spill_iv_opts;
void spill_iv_opts_init(spill_iv_opts *o);

typedef struct spill_iv_first {
  char *endog;                 /* the endogenous regressor of this first stage */
  double *coef, *se;           /* n_instr + n_exog: excluded instruments, then exog */
  double f;                    /* cluster-robust Wald F of the excluded instruments (small-sample c) */
  double partial_r2;           /* Shea-free partial R2 of the excluded instruments */
} spill_iv_first;

typedef struct spill_iv_result {
  spill_fe fe;
  int64_t n, t, nobs, units, clusters;
  double absorbed;             /* fixed effects absorbed: units + periods - components */
  double df_k;                 /* K of the small-sample factor (see iv.c) */
  size_t k;                    /* second-stage coefficients: endog, exog[, constant] */
  char **names;
  double *coef, *se, *vcov;    /* k, k, k x k row-major (cluster-robust, c = G/(G-1) (N-1)/(N-K)) */
  size_t n_endog, n_instr, n_exog;
  char **instr_names;          /* n_instr excluded instruments */
  spill_iv_first *first;       /* n_endog first stages */
  double kp_rk_lm, kp_rk_lm_p; int kp_df;   /* underidentification, chi2(L1 - K1 + 1) */
  double kp_rk_wald, kp_rk_wald_f;          /* weak identification (rk Wald and its F form) */
  double cragg_donald_f;
  double hansen_j, hansen_j_p; int j_df;    /* NAN and 0 when exactly identified */
  double r2_within, sigma2;
  char *cluster_name, *y_name;
  /* absorbed effects and variance (see spill_iv_opts) */
  char *absorb;                /* the absorbed terms, comma-separated ("" when none) */
  int64_t singletons;          /* observations dropped as singletons of a fixed effect */
  int robust;                  /* 1: heteroskedasticity-robust (each observation a cluster) */
  int64_t clusters1, clusters2;  /* two-way: the clusters of each; clusters = the smaller */
} spill_iv_result;

spill_iv_result *spill_iv_fit(spill_ctx *ctx, const spill_panel *p, const spill_iv_opts *opts);
void spill_iv_result_free(spill_iv_result *r);
/* Tables: text (both stages, identification statistics), CSV, LaTeX, JSON
 * ({"model": "iv2sls", ..., "coefficients": [...], "first_stage": {...}}). */
int spill_iv_print(spill_ctx *ctx, const spill_iv_result *r, FILE *out, spill_table_fmt fmt);
int spill_iv_save(spill_ctx *ctx, const spill_iv_result *r, const char *path, spill_table_fmt fmt);

/* PSM-DID (estimation/psm.c): a logit propensity score of ever being
 * treated (p->d) on covariates taken per unit at the first period (base) or
 * as unit means, fitted by Newton-Raphson; matching of treated units to
 * controls on the score; the balance table (pstest); then the two-way FE DID
 * on the matched sample (balanced panels; frequency weights = the matching
 * weights, constant within units). */
typedef enum spill_psm_method { SPILL_PSM_NEAREST = 0, SPILL_PSM_KERNEL } spill_psm_method;
typedef struct spill_psm_opts {
  spill_psm_method method;
  const size_t *cov; size_t n_cov; /* covariates: indices into p->x */
  int unit_means;        /* 1: covariates as unit means; 0 (default): first-period values */
  int k;                 /* nearest: neighbours per treated unit (default 1) */
  int replace;           /* nearest: 1 (default) with replacement */
  double caliper;        /* on the propensity score (absolute); <= 0: none */
  double bandwidth;      /* kernel: Epanechnikov bandwidth (default 0.06, as psmatch2) */
  int common;            /* 1: drop treated units outside the controls' score range (psmatch2 common) */
  int did_controls;      /* 1 (default): the covariates enter the DID as time-varying controls */
  int max_iter;          /* Newton-Raphson iterations (default 50) */
} spill_psm_opts;
void spill_psm_opts_init(spill_psm_opts *o);

typedef struct spill_psm_balance {
  char *name;
  double mean_t_u, mean_c_u, bias_u, t_u, p_u;   /* unmatched */
  double mean_t_m, mean_c_m, bias_m, t_m, p_m;   /* matched (weighted controls) */
  double reduction;                              /* 100 (1 - |bias_m| / |bias_u|) */
} spill_psm_balance;

typedef struct spill_psm_result {
  int64_t n, t;
  char **ids;                 /* n (borrowed from the panel: valid while it lives) */
  size_t n_cov;
  char **cov_names;
  double *logit_coef, *logit_se; /* n_cov + 1: constant first */
  int logit_iter;
  double logit_ll;
  double *pscore;             /* n */
  unsigned char *treated;     /* n: ever treated */
  unsigned char *on_support;  /* n: treated units kept by common support and the caliper */
  double *weight;             /* n: matching weight (treated 1 when matched; controls sum of 1/k_i) */
  int k;                      /* nearest: columns of match */
  int64_t *match;             /* nearest: n x k control indices per treated unit (-1: none), row-major */
  int64_t n_treated, n_control, n_matched_treated, n_matched_control, n_off_support;
  spill_psm_balance *balance; /* n_cov rows */
  /* the DID on the matched sample: did then controls */
  size_t did_k;
  char **did_names;
  double *did_coef, *did_se;
  int64_t did_nobs, did_units;
  double did_weight_sum;
} spill_psm_result;

spill_psm_result *spill_psm_run(spill_ctx *ctx, const spill_panel *p, const spill_psm_opts *opts);
void spill_psm_result_free(spill_psm_result *r);
int spill_psm_print(spill_ctx *ctx, const spill_psm_result *r, FILE *out, spill_table_fmt fmt);
int spill_psm_save(spill_ctx *ctx, const spill_psm_result *r, const char *path, spill_table_fmt fmt);
/* Matched units as CSV: id,treated,pscore,support,weight,matches (atomic). */
int spill_psm_write_matches(spill_ctx *ctx, const spill_psm_result *r, const char *path);
/* ---- regression tables of saved fits (estimation/table.c) ---- */

/* Output formats of spill_table_write. */
typedef enum spill_tables_format {
  SPILL_TABLES_TEXT = 0,
  SPILL_TABLES_CSV,
  SPILL_TABLES_TEX, /* LaTeX booktabs */
  SPILL_TABLES_HTML, /* Word opens it */
  SPILL_TABLES_RTF
} spill_tables_format;

/* What spill_table_write shows. Lists are arrays of strings; a name ending in
 * '*' matches by prefix. */
typedef struct spill_table_opts {
  const char *title;
  char **mtitles; /* column titles, one per fit */
  size_t n_mtitles;
  char **keep; /* only these coefficients (none: all) */
  size_t n_keep;
  char **drop; /* never these */
  size_t n_drop;
  char **order; /* these rows first, in this order */
  size_t n_order;
  char **rename_from, **rename_to; /* shown labels */
  size_t n_rename;
  char **controls; /* hidden (with their W* lags); a "Controls YES/NO" row instead */
  size_t n_controls;
  int tstat;  /* t (z) statistics in parentheses instead of standard errors */
  int stars;  /* 1 (default): * p<0.1, ** p<0.05, *** p<0.01 from the fit's p */
  int digits; /* decimals (default 3) */
} spill_table_opts;

void spill_table_opts_init(spill_table_opts *o);

/* Fits saved by spill fit --json (paths[0..n-1]) side by side, esttab-style:
 * coefficients with SEs (or t) in parentheses, fixed-effect rows, controls,
 * observations, units, R-squared, log-likelihood and further statistics (the
 * JSON keys read are listed at the top of estimation/table.c). */
int spill_table_write(spill_ctx *ctx, FILE *out, const char *const *paths, size_t n, const spill_table_opts *o,
                      spill_tables_format format);

/* ---- time windows (estimation/years.c) ---- */
/* Keep the periods from..to (inclusive) of a panel, in place (the observed
 * mask too). Fails when no period is in the window. A unit left with no
 * observed period stays (with an empty row) for the caller to handle. */
int spill_panel_keep_years(spill_ctx *ctx, spill_panel *p, long from, long to);


/* ---- absorbed fixed effects and clustered SEs (estimation/absorb.c, absorb_fit.c) ---- */
/* The OLS DID with unit and period effects and further absorbed terms, by
 * alternating projections (singletons dropped). Terms name columns of the
 * panel file fixed within each unit (a province), the id or the time column:
 * "prov" (a factor), "prov#year" (an interaction), "prov#c.year" (a linear
 * trend per province; year the time column). vce: NULL (cluster by unit),
 * "robust" (HC1), "cluster COL" or "cluster COL1#COL2" (two-way, Cameron,
 * Gelbach and Miller 2011). */
typedef struct spill_absorb_opts {
  const char *path;   /* the panel file */
  const char *id_col, *time_col;
  const char *const *terms;
  size_t nterms;
  const char *vce;
} spill_absorb_opts;
spill_fit *spill_fit_absorb(spill_ctx *ctx, const spill_panel *p, const spill_absorb_opts *opts);

/* ---- interactions in --x and panel windows (estimation/interact.c, years.c) ---- */
/* One regressor after expansion: a column (nf 1) or the product of two or
 * three columns, named "a:b" / "a:b:c" as R prints them (Stata: c.a#c.b). */
typedef struct spill_xterm {
  char *name;  /* "a", "a:b" (the factors as the list spells them) */
  size_t nf;   /* factors, 1..3 */
  long col[3]; /* the factors' indices in cols (-1 past nf) */
} spill_xterm;
/* Expand a regressor list: "a" is a column; "a:b" (or "a:b:c") the product
 * alone; "a*b" gives a, b and a:b; "a*b*c" gives a, b, c, a:b, a:c, b:c and
 * a:b:c. Terms keep the order given (each a*b in place); a term whose
 * columns were listed already (a again, b:a after a*b) is dropped. Columns
 * are matched in cols (the file's columns) exactly, then ignoring case; an
 * entry naming a column is that column even when it holds '*' or ':'.
 * Errors name opt (e.g. "--x") and src (the file): an unknown or empty
 * factor, a factor twice, more than three, '*' and ':' mixed, a product
 * named like a column of the file. *terms (free with spill_xterms_free) and
 * *nterms receive the list. */
int spill_xterms_expand(spill_ctx *ctx, const char *opt, const char *src, const char *const *x, size_t nx,
                        const char *const *cols, size_t ncols, spill_xterm **terms, size_t *nterms);
void spill_xterms_free(spill_xterm *t, size_t n);
/* From now on, the panel readers (spill_panel_read_csv, _unbalanced,
 * spill_panel_read) expand interaction terms in spec->x_cols as
 * spill_xterms_expand does: the panel gets the expanded columns (x_names
 * "a", "b", "a:b"; a product cell is missing when a factor is), and the
 * models their W terms ("W*a:b" = W applied to the product). The treatment
 * may be a factor: spec->treat_col by its name, or "did" (the indicator
 * built from spec->adopt_col, when the file has no column "did"); the
 * treatment alone is never added as a control. opt is the
 * option quoted in messages ("--x"; kept, not copied); NULL (the default):
 * terms are refused with a message, for callers that use x positions. */
void spill_ctx_set_x_terms(spill_ctx *ctx, const char *opt);
/* Read a panel (as spill_panel_read: format by extension, text options)
 * keeping only the periods from..to: rows outside the window are ignored,
 * so a unit needs all periods of the window only (the balanced-panel rules,
 * with spec->drop_incomplete, apply inside it). Fails as
 * spill_panel_keep_years when no period is in the window. */
spill_panel *spill_panel_read_years(spill_ctx *ctx, const char *path, const spill_panel_spec *spec,
                                    const spill_text_opts *text, long from, long to);
/* Absorbed effects for the ML models (spill fit --absorb with sdm, sar, sem,
 * ...), which keep the unit/time within transform: a term nested in the
 * fixed effects fe (a factor fixed within units, with unit effects; the time
 * column, with time effects) adds nothing (a notice says so); any other
 * ("prov#year", "prov#c.year", a factor without unit effects) is appended to
 * p->x as dummy or trend columns, the ones the fixed effects already span
 * left out (a notice counts them): for A#year the first period of each A
 * with unit effects and the first A with time effects; for A#c.year the
 * first A with time effects. Columns are named "prov#year[3,2005]" (level
 * number, period) and "prov#c.year[3]". *added receives the count; pass it
 * as spill_fit_opts.n_fe_cols. Terms as spill_absorb_opts, read from the
 * panel file path. */
int spill_panel_add_absorb_columns(spill_ctx *ctx, spill_panel *p, const char *path, const char *id_col,
                                   const char *time_col, const char *const *terms, size_t nterms, spill_fe fe,
                                   int intercept, size_t *added);

#ifdef __cplusplus
}
#endif
#endif /* SPILL_H */
