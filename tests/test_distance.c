/* Distance-based weights: geodesics against closed forms and an independent
 * Vincenty (1975) solution; k-NN, band, inverse-distance, kernel and economic
 * weights against brute-force O(n^2) computations; set operations against
 * dense ones; bad input. */
#include <stdint.h>
#include "check.h"
#include "spill.h"

#define PI 3.14159265358979323846
static spill_ctx *ctx;

/* Vincenty (1975), Survey Review 23(176), inverse problem on WGS84, metres:
 * an independent check of PROJ's geodesics away from antipodes. */
static double vincenty_m(double lon1, double lat1, double lon2, double lat2)
{
  const double a = 6378137.0, f = 1 / 298.257223563, b = a * (1 - f);
  double L = (lon2 - lon1) * PI / 180, U1 = atan((1 - f) * tan(lat1 * PI / 180));
  double U2 = atan((1 - f) * tan(lat2 * PI / 180)), lam = L, prev;
  double sU1 = sin(U1), cU1 = cos(U1), sU2 = sin(U2), cU2 = cos(U2);
  double ss, cs, sig, sa, c2a, c2sm, C, u2, A, B, ds;
  int it = 0;
  do {
    double sl = sin(lam), cl = cos(lam);
    ss = sqrt((cU2 * sl) * (cU2 * sl) + (cU1 * sU2 - sU1 * cU2 * cl) * (cU1 * sU2 - sU1 * cU2 * cl));
    cs = sU1 * sU2 + cU1 * cU2 * cl;
    sig = atan2(ss, cs);
    sa = cU1 * cU2 * sl / ss;
    c2a = 1 - sa * sa;
    c2sm = c2a != 0 ? cs - 2 * sU1 * sU2 / c2a : 0;
    C = f / 16 * c2a * (4 + f * (4 - 3 * c2a));
    prev = lam;
    lam = L + (1 - C) * f * sa * (sig + C * ss * (c2sm + C * cs * (-1 + 2 * c2sm * c2sm)));
  } while (fabs(lam - prev) > 1e-14 && ++it < 200);
  u2 = c2a * (a * a - b * b) / (b * b);
  A = 1 + u2 / 16384 * (4096 + u2 * (-768 + u2 * (320 - 175 * u2)));
  B = u2 / 1024 * (256 + u2 * (-128 + u2 * (74 - 47 * u2)));
  ds = B * ss * (c2sm + B / 4 * (cs * (-1 + 2 * c2sm * c2sm) - B / 6 * c2sm * (-3 + 4 * ss * ss) * (-3 + 4 * c2sm * c2sm)));
  return b * A * (sig - ds);
}

static void geodesics(void)
{
  spill_rng rng;
  double worst = 0.0;
  /* along the equator the geodesic is the equator: s = a * dlon */
  CHECK_RELSTRICT(spill_geodesic_km(0, 0, 10, 0), 6378.137 * 10 * PI / 180, 4 * DBL_EPSILON);
  CHECK_RELSTRICT(spill_geodesic_km(-170, 0, 170, 0), 6378.137 * 20 * PI / 180, 4 * DBL_EPSILON);
  /* the WGS84 quarter meridian, 10001965.7293127 m (GeographicLib) */
  CHECK_RELSTRICT(spill_geodesic_km(30, 0, 30, 90), 10001.9657293127, 1e-12);
  CHECK(spill_geodesic_km(116.4, 39.9, 116.4, 39.9) == 0.0);
  /* random pairs (not near-antipodal) against Vincenty: 1e-9 relative */
  spill_rng_seed(&rng, 7);
  for (int k = 0; k < 500; k++) {
    double lon1 = 360 * spill_rng_uniform(&rng) - 180, lat1 = 170 * spill_rng_uniform(&rng) - 85;
    double lon2 = lon1 + 120 * spill_rng_uniform(&rng) - 60, lat2 = 170 * spill_rng_uniform(&rng) - 85;
    double s = spill_geodesic_km(lon1, lat1, lon2, lat2), v = vincenty_m(lon1, lat1, lon2, lat2) / 1000;
    double rel = fabs(s - v) / v;
    if (rel > worst) worst = rel;
    CHECK_RELSTRICT(s, v, 1e-9);
  }
  /* short distances too (a few km, typical neighbouring cities) */
  for (int k = 0; k < 200; k++) {
    double lon1 = 73 + 60 * spill_rng_uniform(&rng), lat1 = 18 + 35 * spill_rng_uniform(&rng);
    double lon2 = lon1 + 0.1 * spill_rng_uniform(&rng), lat2 = lat1 + 0.1 * spill_rng_uniform(&rng);
    CHECK_RELSTRICT(spill_geodesic_km(lon1, lat1, lon2, lat2), vincenty_m(lon1, lat1, lon2, lat2) / 1000, 1e-9);
  }
  printf("geodesic vs Vincenty: largest relative difference %.3g\n", worst);
  /* planar: 3-4-5 in metres with km per unit */
  {
    static const char *ids[] = {"a", "b"};
    double x[] = {0, 3000}, y[] = {0, 4000};
    spill_points p = {2, ids, x, y, 0, 0.001};
    CHECK_RELSTRICT(spill_distance_km(&p, 0, 1), 5.0, DBL_EPSILON);
    p.unit_km = 0; /* planar without a .prj: raw units */
    CHECK_RELSTRICT(spill_distance_km(&p, 0, 1), 5000.0, DBL_EPSILON);
  }
}

/* A point set with its dense distance matrix (brute force). */
typedef struct set {
  spill_points p;
  char **ids;
  double *x, *y, *d;
} set;

static void set_init(set *s, int64_t n, int geographic, double unit_km)
{
  s->ids = calloc((size_t)n, sizeof *s->ids);
  s->x = calloc((size_t)n, sizeof *s->x);
  s->y = calloc((size_t)n, sizeof *s->y);
  s->d = NULL;
  for (int64_t i = 0; i < n; i++) {
    char buf[32];
    snprintf(buf, sizeof buf, "u%lld", (long long)i + 1);
    s->ids[i] = strdup(buf);
  }
  s->p.n = n;
  s->p.ids = (const char *const *)s->ids;
  s->p.x = s->x;
  s->p.y = s->y;
  s->p.geographic = geographic;
  s->p.unit_km = unit_km;
}

static void set_dist(set *s)
{
  int64_t n = s->p.n;
  s->d = malloc((size_t)(n * n) * sizeof *s->d);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++) s->d[i * n + j] = i == j ? 0 : spill_distance_km(&s->p, i, j);
}

static void set_free(set *s)
{
  for (int64_t i = 0; i < s->p.n; i++) free(s->ids[i]);
  free(s->ids);
  free(s->x);
  free(s->y);
  free(s->d);
}

static double entry(const spill_weights *w, int64_t i, int64_t j, int *found)
{
  *found = 0;
  for (int64_t k = w->p[i]; k < w->p[i + 1]; k++)
    if (w->j[k] == j) {
      *found = 1;
      return w->x[k];
    }
  return 0.0;
}

/* The ranking key: the geodesic, or the squared planar distance in layer
 * units (the documented planar rule; its square root times unit_km is the
 * distance, so the order is the same up to ties made by rounding). */
static double key(const set *s, int64_t i, int64_t j)
{
  double dx = s->x[i] - s->x[j], dy = s->y[i] - s->y[j];
  return s->p.geographic ? s->d[i * s->p.n + j] : dx * dx + dy * dy;
}

/* Brute-force k nearest of i: (distance, index) order. */
static void brute_knn(const set *s, int64_t i, int k, int64_t *out)
{
  int64_t n = s->p.n, have = 0;
  for (int64_t j = 0; j < n; j++) {
    double dj = key(s, i, j);
    int64_t r;
    if (j == i) continue;
    if (have == k) {
      double dl = key(s, i, out[k - 1]);
      if (dj > dl || (dj == dl && j > out[k - 1])) continue;
      have--;
    }
    r = have - 1;
    while (r >= 0 && (key(s, i, out[r]) > dj || (key(s, i, out[r]) == dj && out[r] > j))) {
      out[r + 1] = out[r];
      r--;
    }
    out[r + 1] = j;
    have++;
  }
}

static void check_knn(const set *s, int k, const char *what)
{
  spill_weights *w = spill_weights_knn(ctx, &s->p, k);
  int64_t n = s->p.n, bad = 0, out[16];
  CHECK_MSG(w != NULL, "%s: %s", what, spill_ctx_error(ctx));
  if (!w) return;
  CHECK_EQ_INT(w->p[n], n * k);
  CHECK(w->style == 'B');
  for (int64_t i = 0; i < n; i++) {
    int found;
    brute_knn(s, i, k, out);
    for (int c = 0; c < k; c++) {
      entry(w, i, out[c], &found);
      if (!found) bad++;
    }
  }
  CHECK_MSG(bad == 0, "%s, k = %d: %lld neighbours differ from brute force", what, k, (long long)bad);
  spill_weights_free(w);
}

static void check_band(const set *s, double t, const char *what)
{
  spill_weights *w = spill_weights_band(ctx, &s->p, t);
  int64_t n = s->p.n, links = 0, bad = 0;
  CHECK_MSG(w != NULL, "%s: %s", what, spill_ctx_error(ctx));
  if (!w) return;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++) {
      int found;
      if (j == i) continue;
      entry(w, i, j, &found);
      links += s->d[i * n + j] <= t;
      if (found != (s->d[i * n + j] <= t)) bad++;
    }
  CHECK_EQ_INT(w->p[n], links);
  CHECK_MSG(bad == 0, "%s, band %g: %lld pairs differ from brute force", what, t, (long long)bad);
  for (int64_t i = 0; i < n; i++)
    for (int64_t k = w->p[i] + 1; k < w->p[i + 1]; k++) CHECK(w->j[k - 1] < w->j[k]);
  spill_weights_free(w);
}

static void check_idw(const set *s, double power, double cutoff, const char *what)
{
  spill_weights *w = spill_weights_idw(ctx, &s->p, power, cutoff);
  int64_t n = s->p.n, bad = 0, links = 0;
  double worst = 0;
  CHECK_MSG(w != NULL, "%s: %s", what, spill_ctx_error(ctx));
  if (!w) return;
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++) {
      int found;
      double v, d = s->d[i * n + j];
      int in = j != i && (cutoff <= 0 || d <= cutoff);
      if (j == i) continue;
      v = entry(w, i, j, &found);
      links += in;
      if (found != in) bad++;
      if (in && found) {
        double e = fabs(v - pow(d, -power)) / pow(d, -power);
        if (e > worst) worst = e;
      }
    }
  CHECK_EQ_INT(w->p[n], links);
  CHECK_MSG(bad == 0, "%s idw: %lld pairs differ", what, (long long)bad);
  CHECK_MSG(worst <= 4 * DBL_EPSILON, "%s idw: worst relative error %g", what, worst);
  spill_weights_free(w);
}

static void check_kernel(const set *s, spill_kernel kind, double h, int k, const char *what)
{
  spill_weights *w = spill_weights_kernel(ctx, &s->p, kind, h, k);
  int64_t n = s->p.n, bad = 0, out[16];
  double worst = 0;
  CHECK_MSG(w != NULL, "%s: %s", what, spill_ctx_error(ctx));
  if (!w) return;
  for (int64_t i = 0; i < n; i++) {
    double hi = h;
    if (k > 0) {
      brute_knn(s, i, k, out);
      hi = s->d[i * n + out[k - 1]];
    }
    for (int64_t j = 0; j < n; j++) {
      int found;
      double z = s->d[i * n + j] / hi, kv = 0, v;
      if (j == i) continue;
      if (z <= 1)
        kv = kind == SPILL_KERNEL_TRIANGULAR ? 1 - z
             : kind == SPILL_KERNEL_EPANECHNIKOV ? 0.75 * (1 - z * z)
                                                  : exp(-z * z / 2) / sqrt(2 * PI);
      v = entry(w, i, j, &found);
      if (found != (kv > 0)) { if (bad < 3) fprintf(stderr, "i %lld j %lld z %.17g kv %g found %d\n", (long long)i, (long long)j, z, kv, found); bad++; }
      else if (found && fabs(v - kv) > worst) worst = fabs(v - kv);
    }
  }
  CHECK_MSG(bad == 0, "%s kernel: %lld pairs differ", what, (long long)bad);
  CHECK_MSG(worst <= 8 * DBL_EPSILON, "%s kernel: worst error %g", what, worst);
  spill_weights_free(w);
}

static void check_threshold(const set *s, const char *what)
{
  int64_t n = s->p.n;
  double t, want = 0;
  for (int64_t i = 0; i < n; i++) {
    double m = INFINITY;
    for (int64_t j = 0; j < n; j++)
      if (j != i && s->d[i * n + j] < m) m = s->d[i * n + j];
    if (m > want) want = m;
  }
  CHECK_MSG(spill_min_threshold(ctx, &s->p, &t) == 0, "%s", spill_ctx_error(ctx));
  CHECK_MSG(t == want, "%s: min threshold %.17g, brute force %.17g", what, t, want);
  check_band(s, t, what);
  {
    spill_weights *w = spill_weights_band(ctx, &s->p, t);
    spill_weights_summary sm;
    CHECK(w && spill_weights_summarize(ctx, w, &sm) == 0);
    if (w) CHECK_EQ_INT(sm.n_islands, 0);
    spill_weights_summary_clear(&sm);
    spill_weights_free(w);
  }
}

static int identical(const spill_weights *a, const spill_weights *b)
{
  if (!a || !b || a->n != b->n || memcmp(a->p, b->p, (size_t)(a->n + 1) * sizeof *a->p)) return 0;
  return !memcmp(a->j, b->j, (size_t)a->p[a->n] * sizeof *a->j) &&
         !memcmp(a->x, b->x, (size_t)a->p[a->n] * sizeof *a->x);
}

/* Several threads give the same matrices as one. */
static void threads_agree(const set *s, double band, const char *what)
{
  spill_weights *one[6], *many[6];
  double t1, t3;
  for (int pass = 0; pass < 2; pass++) {
    spill_weights **w = pass ? many : one;
    spill_ctx_set_threads(ctx, pass ? 3 : 1);
    w[0] = spill_weights_knn(ctx, &s->p, 6);
    w[1] = spill_weights_band(ctx, &s->p, band);
    w[2] = spill_weights_idw(ctx, &s->p, 1.5, band);
    w[3] = spill_weights_idw(ctx, &s->p, 1.0, 0);
    w[4] = spill_weights_kernel(ctx, &s->p, SPILL_KERNEL_GAUSSIAN, 0, 5);
    w[5] = spill_weights_kernel(ctx, &s->p, SPILL_KERNEL_TRIANGULAR, band, 0);
    CHECK(spill_min_threshold(ctx, &s->p, pass ? &t3 : &t1) == 0);
  }
  spill_ctx_set_threads(ctx, 0);
  CHECK_MSG(t1 == t3, "%s: min threshold %.17g with 1 thread, %.17g with 3", what, t1, t3);
  for (int k = 0; k < 6; k++) {
    CHECK_MSG(identical(one[k], many[k]), "%s: builder %d differs with 3 threads", what, k);
    spill_weights_free(one[k]);
    spill_weights_free(many[k]);
  }
}

static void suite(set *s, const char *what, double band1, double band2)
{
  set_dist(s);
  check_knn(s, 1, what);
  check_knn(s, 4, what);
  check_knn(s, 6, what);
  check_threshold(s, what);
  check_band(s, band1, what);
  check_band(s, band2, what);
  check_idw(s, 1.0, band2, what);
  check_idw(s, 2.0, 0, what);
  check_kernel(s, SPILL_KERNEL_TRIANGULAR, band2, 0, what);
  check_kernel(s, SPILL_KERNEL_EPANECHNIKOV, 0, 6, what);
  check_kernel(s, SPILL_KERNEL_GAUSSIAN, 0, 4, what);
}

static void random_sets(void)
{
  spill_rng rng;
  set s;
  spill_rng_seed(&rng, 2024);
  /* planar, metres with a km factor */
  set_init(&s, 1500, 0, 0.001);
  for (int64_t i = 0; i < s.p.n; i++) {
    s.x[i] = 1e5 * spill_rng_uniform(&rng);
    s.y[i] = 1e5 * spill_rng_uniform(&rng);
  }
  suite(&s, "planar random", 2.0, 6.0);
  threads_agree(&s, 6.0, "planar random");
  set_free(&s);
  /* a lattice: every distance tied many times (tie rule: smaller index) */
  set_init(&s, 900, 0, 0);
  for (int64_t i = 0; i < s.p.n; i++) {
    s.x[i] = (double)(i % 30);
    s.y[i] = (double)(i / 30);
  }
  suite(&s, "planar lattice", 1.0, 2.0);
  set_free(&s);
  /* geographic, China's extent */
  set_init(&s, 1200, 1, 0);
  for (int64_t i = 0; i < s.p.n; i++) {
    s.x[i] = 73 + 62 * spill_rng_uniform(&rng);
    s.y[i] = 18 + 35 * spill_rng_uniform(&rng);
  }
  suite(&s, "geographic China", 60.0, 150.0);
  threads_agree(&s, 150.0, "geographic China");
  set_free(&s);
  /* geographic, whole globe: poles and the date line */
  set_init(&s, 800, 1, 0);
  for (int64_t i = 0; i < s.p.n; i++) {
    s.x[i] = 360 * spill_rng_uniform(&rng) - 180;
    s.y[i] = asin(2 * spill_rng_uniform(&rng) - 1) * 180 / PI;
  }
  s.y[0] = 90;
  s.y[1] = -89.99;
  s.x[2] = 179.999;
  s.x[3] = -179.999;
  s.y[2] = s.y[3] = 10;
  suite(&s, "geographic globe", 500.0, 2000.0);
  set_free(&s);
  /* a lattice in lon/lat: exact geodesic ties by symmetry about a meridian */
  set_init(&s, 400, 1, 0);
  for (int64_t i = 0; i < s.p.n; i++) {
    s.x[i] = 100 + 0.5 * (double)(i % 20);
    s.y[i] = 30 + 0.5 * (double)(i / 20);
  }
  suite(&s, "geographic lattice", 50.0, 120.0);
  set_free(&s);
}

/*/* The distance R spdep uses with longlat = TRUE (gcdist in sp and spdep): the
 * Andoyer-Lambert approximation to the WGS84 geodesic, written here from
 * Meeus (1998, Astronomical Algorithms, ch. 11), in km. */
static double andoyer_lambert_km(double lon1, double lat1, double lon2, double lat2)
{
  const double a = 6378.137, f = 1.0 / 298.257223563, r = 3.14159265358979323846 / 180.0;
  double F = 0.5 * (lat1 + lat2) * r, G = 0.5 * (lat1 - lat2) * r, L = 0.5 * (lon1 - lon2) * r;
  double sG = sin(G) * sin(G), cG = cos(G) * cos(G), sF = sin(F) * sin(F), cF = cos(F) * cos(F);
  double sL = sin(L) * sin(L), cL = cos(L) * cos(L);
  double S = sG * cL + cF * sL, C = cG * cL + sF * sL, omega, R;
  if (S == 0.0) return 0.0;
  omega = atan(sqrt(S / C));
  R = sqrt(S * C) / omega;
  return 2.0 * omega * a *
         (1.0 + f * (3.0 * R - 1.0) / (2.0 * C) * sF * cG - f * (3.0 * R + 1.0) / (2.0 * S) * cF * sG);
}

/* spdep's knearneigh / dnearneigh (longlat = TRUE) rules, by brute force on
 * its own metric, against spill's k-NN and bands on the geodesic. The two
 * metrics differ by at most ~1e-5 relative, so they may only disagree where
 * two candidates are that close: every disagreement must be such a near tie
 * (none occurs on these centroids; the count is printed). */
static void spdep_rules(const set *geo)
{
  int64_t n = geo->p.n;
  set al = *geo;
  int ks[2] = {4, 6};
  double bands[2] = {100.0, 300.0};
  al.d = malloc((size_t)(n * n) * sizeof *al.d);
  for (int64_t i = 0; i < n; i++)
    for (int64_t j = 0; j < n; j++)
      al.d[i * n + j] = i == j ? 0 : andoyer_lambert_km(geo->x[i], geo->y[i], geo->x[j], geo->y[j]);
  for (int q = 0; q < 2; q++) {
    int k = ks[q];
    int64_t out[16], differ = 0, near_ties = 0;
    spill_weights *w = spill_weights_knn(ctx, &geo->p, k);
    CHECK(w != NULL);
    if (!w) continue;
    for (int64_t i = 0; i < n; i++) {
      brute_knn(&al, i, k, out);
      for (int c = 0; c < k; c++) {
        int found;
        entry(w, i, out[c], &found);
        if (found) continue;
        differ++;
        /* spdep's neighbour must be as far (within 2e-5) as spill's k-th */
        if (fabs(geo->d[i * n + out[c]] - geo->d[i * n + w->j[w->p[i + 1] - 1]]) <=
            2e-5 * geo->d[i * n + out[c]])
          near_ties++;
      }
    }
    printf("china_prefectures: knn k = %d, %lld neighbours differ from spdep's rule (%lld near ties)\n",
           k, (long long)differ, (long long)near_ties);
    CHECK_EQ_INT(differ, near_ties);
    spill_weights_free(w);
  }
  for (int q = 0; q < 2; q++) {
    spill_weights *w = spill_weights_band(ctx, &geo->p, bands[q]);
    int64_t differ = 0, near = 0;
    CHECK(w != NULL);
    if (!w) continue;
    for (int64_t i = 0; i < n; i++)
      for (int64_t j = 0; j < n; j++) {
        int found, in_spdep = j != i && al.d[i * n + j] > 0 && al.d[i * n + j] <= bands[q];
        if (j == i) continue;
        entry(w, i, j, &found);
        if (found != in_spdep) {
          printf("  band %g km: %s-%s geodesic %.6f km, spdep's metric %.6f km\n", bands[q],
                 geo->ids[i], geo->ids[j], geo->d[i * n + j], al.d[i * n + j]);
          differ++;
          near += fabs(geo->d[i * n + j] - bands[q]) <= 2e-5 * bands[q];
        }
      }
    printf("china_prefectures: band %g km, %lld links differ from spdep's rule (%lld near the threshold)\n",
           bands[q], (long long)differ, (long long)near);
    CHECK_EQ_INT(differ, near);
    spill_weights_free(w);
  }
  free(al.d);
}

/* k-NN and band on the centroids of China's 333 prefecture cities. */
static void prefectures(void)
{
  char buf[1024];
  spill_layer *layer;
  set s;
  if (!check_shared("data/china_prefectures.shp", buf, sizeof buf)) return;
  layer = spill_layer_read(ctx, buf, NULL);
  CHECK_MSG(layer != NULL, "%s", spill_ctx_error(ctx));
  if (!layer) return;
  set_init(&s, (int64_t)spill_layer_count(layer), 1, 0);
  CHECK(spill_layer_geographic(layer));
  CHECK(spill_layer_centroids(ctx, layer, s.x, s.y) == 0);
  suite(&s, "china_prefectures centroids", 100.0, 300.0);
  if (!s.d) set_dist(&s);
  spdep_rules(&s);
  set_free(&s);
  spill_layer_free(layer);
}

static void econ(void)
{
  static const char *ids[] = {"A", "B", "C", "D", "E"};
  double xbar[] = {3.0, 1.0, 4.5, 1.0, 10.0};
  double lon[] = {116.4, 121.5, 113.3, 104.1, 87.6}, lat[] = {39.9, 31.2, 23.1, 30.7, 43.8};
  spill_points geo = {5, ids, lon, lat, 1, 0};
  spill_weights *w = spill_weights_econ(ctx, ids, xbar, 5, SPILL_ECON_INVDIFF, NULL);
  double mean = (3.0 + 1.0 + 4.5 + 1.0 + 10.0) / 5, worst = 0;
  int found;
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  if (w) {
    /* B and D are equal: no link between them (the documented guard) */
    CHECK_EQ_INT(w->p[5], 5 * 4 - 2);
    entry(w, 1, 3, &found);
    CHECK(!found);
    for (int i = 0; i < 5; i++)
      for (int j = 0; j < 5; j++) {
        double v = entry(w, i, j, &found);
        if (i == j || xbar[i] == xbar[j]) CHECK(!found);
        else CHECK_RELSTRICT(v, 1.0 / fabs(xbar[i] - xbar[j]), DBL_EPSILON);
      }
  }
  spill_weights_free(w);
  w = spill_weights_econ(ctx, ids, xbar, 5, SPILL_ECON_GEO, &geo);
  CHECK_MSG(w != NULL, "%s", spill_ctx_error(ctx));
  if (w) {
    CHECK_EQ_INT(w->p[5], 20);
    for (int i = 0; i < 5; i++)
      for (int j = 0; j < 5; j++) {
        double v = entry(w, i, j, &found), want;
        if (i == j) {
          CHECK(!found);
          continue;
        }
        want = xbar[j] / (mean * spill_geodesic_km(lon[i], lat[i], lon[j], lat[j]));
        if (fabs(v - want) / want > worst) worst = fabs(v - want) / want;
      }
    CHECK_MSG(worst <= 8 * DBL_EPSILON, "nested econ worst relative error %g", worst);
  }
  spill_weights_free(w);
  /* missing values, non-positive size, mismatched ids */
  xbar[2] = NAN;
  w = spill_weights_econ(ctx, ids, xbar, 5, SPILL_ECON_INVDIFF, NULL);
  CHECK(w == NULL && strstr(spill_ctx_error(ctx), "'C'") && strstr(spill_ctx_error(ctx), "missing"));
  xbar[2] = -1;
  w = spill_weights_econ(ctx, ids, xbar, 5, SPILL_ECON_GEO, &geo);
  CHECK(w == NULL && strstr(spill_ctx_error(ctx), "'C'"));
  xbar[2] = 4.5;
  {
    static const char *other[] = {"A", "B", "X", "D", "E"};
    spill_points g2 = {5, other, lon, lat, 1, 0};
    w = spill_weights_econ(ctx, ids, xbar, 5, SPILL_ECON_GEO, &g2);
    CHECK(w == NULL && strstr(spill_ctx_error(ctx), "'X'"));
  }
  spill_ctx_clear_error(ctx);
}

static void panel_means(void)
{
  char path[1024];
  FILE *f;
  char **ids = NULL;
  double *xbar = NULL;
  int64_t n = 0;
  snprintf(path, sizeof path, "%s/panel.csv", SPILL_TEST_TMP);
  f = fopen(path, "w");
  fputs("city,year,gdp\n1,2010,99\n1,2011,2\n1,2012,4\n2,2011,10\n2,2012,NA\n", f);
  fclose(f);
  CHECK(spill_panel_means(ctx, path, "city", "year", "gdp", 2011, 2011, &ids, &xbar, &n) == 0);
  CHECK_EQ_INT(n, 2);
  if (n == 2) {
    CHECK_STR(ids[0], "1");
    CHECK(xbar[0] == 2.0 && xbar[1] == 10.0);
  }
  spill_free_ids(ids, n);
  free(xbar);
  /* the NA in 2012 is inside 2011-2012: an error naming line 6 */
  CHECK(spill_panel_means(ctx, path, "city", "year", "gdp", 2011, 2012, &ids, &xbar, &n) != 0);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "line 6") != NULL, "%s", spill_ctx_error(ctx));
  CHECK(spill_panel_means(ctx, path, "city", "year", "gnp", 1, 0, &ids, &xbar, &n) != 0);
  CHECK(strstr(spill_ctx_error(ctx), "gnp") != NULL);
  spill_ctx_clear_error(ctx);
}

static void bad_input(void)
{
  set s;
  spill_weights *w;
  double t;
  set_init(&s, 5, 1, 0);
  for (int i = 0; i < 5; i++) {
    s.x[i] = 100 + i;
    s.y[i] = 30;
  }
  w = spill_weights_knn(ctx, &s.p, 5);
  CHECK(w == NULL && spill_ctx_status(ctx) == SPILL_EINVAL && strstr(spill_ctx_error(ctx), "k = 5"));
  w = spill_weights_knn(ctx, &s.p, 0);
  CHECK(w == NULL && spill_ctx_status(ctx) == SPILL_EINVAL);
  w = spill_weights_band(ctx, &s.p, 0);
  CHECK(w == NULL && spill_ctx_status(ctx) == SPILL_EINVAL && strstr(spill_ctx_error(ctx), "threshold"));
  w = spill_weights_band(ctx, &s.p, -3);
  CHECK(w == NULL && spill_ctx_status(ctx) == SPILL_EINVAL);
  w = spill_weights_idw(ctx, &s.p, 0, 10);
  CHECK(w == NULL && spill_ctx_status(ctx) == SPILL_EINVAL);
  w = spill_weights_kernel(ctx, &s.p, SPILL_KERNEL_GAUSSIAN, -1, 0);
  CHECK(w == NULL && spill_ctx_status(ctx) == SPILL_EINVAL);
  /* two distinct units at one place: both ids named */
  s.x[3] = s.x[1];
  w = spill_weights_knn(ctx, &s.p, 2);
  CHECK(w == NULL && spill_ctx_status(ctx) == SPILL_EDATA);
  CHECK_MSG(strstr(spill_ctx_error(ctx), "'u2'") && strstr(spill_ctx_error(ctx), "'u4'"), "%s",
            spill_ctx_error(ctx));
  CHECK(spill_min_threshold(ctx, &s.p, &t) == SPILL_EDATA);
  w = spill_weights_band(ctx, &s.p, 100);
  CHECK(w == NULL && strstr(spill_ctx_error(ctx), "'u4'"));
  /* the same place written as 180 and -180 */
  s.x[3] = 180;
  s.x[1] = -180;
  w = spill_weights_knn(ctx, &s.p, 2);
  CHECK_MSG(w == NULL && strstr(spill_ctx_error(ctx), "'u2'") && strstr(spill_ctx_error(ctx), "'u4'"), "%s",
            spill_ctx_error(ctx));
  w = spill_weights_band(ctx, &s.p, 500);
  CHECK_MSG(w == NULL && strstr(spill_ctx_error(ctx), "'u2'") && strstr(spill_ctx_error(ctx), "'u4'"), "%s",
            spill_ctx_error(ctx));
  w = spill_weights_idw(ctx, &s.p, 1, 0);
  CHECK_MSG(w == NULL && strstr(spill_ctx_error(ctx), "same location"), "%s", spill_ctx_error(ctx));
  s.x[1] = 101;
  s.x[3] = 103;
  /* a missing coordinate, and a projected layer taken for lon/lat */
  s.y[2] = NAN;
  w = spill_weights_knn(ctx, &s.p, 2);
  CHECK(w == NULL && strstr(spill_ctx_error(ctx), "'u3'"));
  s.y[2] = 3500000;
  w = spill_weights_knn(ctx, &s.p, 2);
  CHECK(w == NULL && strstr(spill_ctx_error(ctx), "not a longitude"));
  set_free(&s);
  /* a dense matrix that cannot fit is refused before any work (3e6 units:
   * 144 TB), with the size in the message */
  {
    spill_points big = {3000000, NULL, NULL, NULL, 1, 0};
    CHECK(spill_dense_bytes(3000000) > 1.4e14);
    w = spill_weights_idw(ctx, &big, 1.0, 0);
    CHECK(w == NULL && spill_ctx_status(ctx) == SPILL_ENOMEM);
    CHECK_MSG(strstr(spill_ctx_error(ctx), "GB") && strstr(spill_ctx_error(ctx), "cutoff"), "%s",
              spill_ctx_error(ctx));
  }
  spill_ctx_clear_error(ctx);
}

static void setops(void)
{
  static const char *ids[] = {"a", "b", "c", "d"};
  static const char *rev[] = {"d", "c", "b", "a"};
  int64_t ti[] = {0, 0, 1, 2, 3, 3}, tj[] = {1, 2, 2, 0, 3, 0};
  double tx[] = {1, 2, 3, 4, 5, 6};
  double dense[4][4] = {{0}}, sym[4][4];
  spill_weights *w = spill_weights_from_triplets(ctx, 4, ids, 6, ti, tj, tx), *s;
  int found;
  for (int k = 0; k < 6; k++) dense[ti[k]][tj[k]] = tx[k];
  for (int how = SPILL_SYM_AVERAGE; how <= SPILL_SYM_MIN; how++) {
    s = spill_weights_symmetrize(ctx, w, (spill_sym)how);
    CHECK(s != NULL);
    if (!s) continue;
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) {
        double a = dense[i][j], b = dense[j][i];
        int both = a != 0 && b != 0, any = a != 0 || b != 0;
        sym[i][j] = how == SPILL_SYM_AVERAGE ? (a + b) / 2 : how == SPILL_SYM_MAX ? (a > b ? a : b)
                                                                                  : (both ? (a < b ? a : b) : 0);
        double v = entry(s, i, j, &found);
        CHECK(found == (how == SPILL_SYM_MIN ? both : any));
        CHECK(v == sym[i][j]);
      }
    spill_weights_free(s);
  }
  /* union and intersection with a W listing the same ids in another order */
  {
    int64_t bi[] = {3, 1, 0}, bj[] = {2, 3, 1}; /* rev ids: d->c, c->a, d->c ... */
    spill_weights *b = spill_weights_from_triplets(ctx, 4, rev, 3, bi, bj, NULL), *u, *x;
    /* in a's order: a->b (rev 3->2), c->a (1->3), d->c (0->1) */
    u = spill_weights_union(ctx, w, b);
    x = spill_weights_intersection(ctx, w, b);
    CHECK(u && x);
    if (u && x) {
      CHECK_EQ_INT(u->p[4], 7); /* the 6 links of w, plus d->c */
      entry(u, 3, 2, &found);
      CHECK(found);
      CHECK_EQ_INT(x->p[4], 2); /* a->b and c->a */
      entry(x, 0, 1, &found);
      CHECK(found);
      entry(x, 2, 0, &found);
      CHECK(found);
      CHECK(u->style == 'B' && x->style == 'B');
    }
    spill_weights_free(u);
    spill_weights_free(x);
    spill_weights_free(b);
  }
  /* ids that do not match */
  {
    static const char *other[] = {"a", "b", "c", "zz"};
    spill_weights *b = spill_weights_from_triplets(ctx, 4, other, 0, NULL, NULL, NULL);
    s = spill_weights_union(ctx, w, b);
    CHECK(s == NULL && strstr(spill_ctx_error(ctx), "'zz'"));
    spill_weights_free(b);
  }
  /* zero diagonal */
  CHECK(spill_weights_zero_diagonal(ctx, w) == 0);
  CHECK_EQ_INT(w->p[4], 5);
  entry(w, 3, 3, &found);
  CHECK(!found);
  CHECK(entry(w, 3, 0, &found) == 6.0 && found);
  CHECK(entry(w, 1, 2, &found) == 3.0 && found);
  spill_weights_free(w);
  spill_ctx_clear_error(ctx);
}

int main(void)
{
  ctx = spill_ctx_new();
  if (!ctx) return 1;
  check_tmpdir();
  geodesics();
  random_sets();
  prefectures();
  econ();
  panel_means();
  bad_input();
  setops();
  spill_ctx_free(ctx);
  return check_done("test_distance");
}
