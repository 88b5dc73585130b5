/* Benchmark: cost growth of the whole SDM-DID workflow with map size. For
 * each size N (a square rook lattice, spill_weights_lattice: the cheapest map
 * to generate, and a planar contiguity like real maps) it times, in a child
 * process of its own so that peak memory is per size: building the weights,
 * the SDM two-way FE fit with SEs (T = 10, T = 5 at N >= 1,000,000), and the
 * effects with 1000 draws; then the growth exponent log(t2/t1)/log(N2/N1)
 * between successive sizes. Then thread scaling at one size (the largest
 * given, at most 100,000): the SDM fit with Monte Carlo variance traces, the
 * SAC fit (its eight traces by probes), the effects with 1000 draws and MC
 * traces, and per-city simulation intervals, each on 1 and on 2 threads in
 * the same run, with the ratio and whether the results are bit-identical.
 * Prints figures; asserts nothing.
 * Usage: bench_scale [--no-threads] [--threads-only] [N ...]
 *        (default 1000 10000 100000; add 1000000) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "spill.h"
#include "bench/bench.h"

typedef struct result {
  double n, t_w, t_fit, t_eff, mb_w, mb_fit, mb_eff, rho, rho_se, mcerr, ldet_err, c_fit, c_eff;
  int ok, probes;
  char ldet[16];
} result;

/* y = (I - rho W)^-1 (D b + W D th + X g + e) by a Neumann series per period. */
static spill_panel *simulate(spill_ctx *ctx, const spill_weights *w, int64_t t)
{
  int64_t n = w->n;
  spill_panel *p = spill_panel_new(ctx, n, t, NULL, NULL, 1, 1);
  double *b = malloc((size_t)n * sizeof *b), *y = malloc((size_t)n * sizeof *y);
  double *tmp = malloc((size_t)n * sizeof *tmp), *wd = malloc((size_t)n * sizeof *wd);
  const double rho = 0.4;
  spill_rng rng;
  if (!p || !b || !y || !tmp || !wd) exit(1);
  spill_rng_seed(&rng, 7);
  for (int64_t i = 0; i < n; i++) {
    double u = spill_rng_uniform(&rng);
    int64_t adopt = u < 0.1 ? 3 : u < 0.2 ? 5 : u < 0.3 ? 7 : 0;
    for (int64_t s = 0; s < t; s++) p->d[s * n + i] = adopt && s + 1 >= adopt;
  }
  for (int64_t s = 0; s < t; s++) {
    double *d = p->d + s * n;
    for (int64_t i = 0; i < n; i++) {
      double a = 0;
      for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) a += w->x[q] * d[w->j[q]];
      wd[i] = a;
    }
    for (int64_t i = 0; i < n; i++) {
      double x = spill_rng_normal(&rng);
      p->x[s * n + i] = x;
      b[i] = 1.0 * d[i] + 0.5 * wd[i] + 0.5 * x + 0.1 * (double)i / (double)n + spill_rng_normal(&rng);
    }
    memcpy(y, b, (size_t)n * sizeof *y);
    for (int it = 0; it < 40; it++) {
      for (int64_t i = 0; i < n; i++) {
        double a = 0;
        for (int64_t q = w->p[i]; q < w->p[i + 1]; q++) a += w->x[q] * y[w->j[q]];
        tmp[i] = b[i] + rho * a;
      }
      memcpy(y, tmp, (size_t)n * sizeof *y);
    }
    memcpy(p->y + s * n, y, (size_t)n * sizeof *y);
  }
  free(b);
  free(y);
  free(tmp);
  free(wd);
  return p;
}

/* CPU seconds (user + system) of this process so far */
static double cpu_now(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void run_size(int64_t target, int fd)
{
  spill_ctx *ctx = spill_ctx_new();
  int64_t side = (int64_t)llround(sqrt((double)target)), t = target >= 1000000 ? 5 : 10;
  result r;
  spill_weights *w;
  spill_panel *p;
  spill_fit *f;
  spill_effects *e;
  spill_effects_opts eo;
  double t0, c0;
  memset(&r, 0, sizeof r);
  t0 = bench_now();
  w = spill_weights_lattice(ctx, side, side, 0);
  if (w) spill_weights_transform(ctx, w, 'W');
  r.t_w = bench_now() - t0;
  r.mb_w = bench_peak_mb();
  if (!w) goto out;
  r.n = (double)w->n;
  p = simulate(ctx, w, t);
  t0 = bench_now();
  c0 = cpu_now();
  f = spill_fit_model(ctx, p, w, NULL);
  r.t_fit = bench_now() - t0;
  r.c_fit = cpu_now() - c0;
  r.mb_fit = bench_peak_mb();
  if (!f) {
    fprintf(stderr, "fit failed: %s\n", spill_ctx_error(ctx));
    goto out;
  }
  r.rho = f->rho;
  r.rho_se = f->rho_se;
  r.mcerr = f->se_mcerr;
  r.probes = f->trace_probes;
  r.ldet_err = f->logdet_err;
  snprintf(r.ldet, sizeof r.ldet, "%s", f->logdet_method);
  spill_effects_opts_init(&eo);
  t0 = bench_now();
  c0 = cpu_now();
  e = spill_effects_compute(ctx, f, w, NULL, &eo);
  r.t_eff = bench_now() - t0;
  r.c_eff = cpu_now() - c0;
  r.mb_eff = bench_peak_mb();
  if (!e) {
    fprintf(stderr, "effects failed: %s\n", spill_ctx_error(ctx));
    goto out;
  }
  r.ok = 1;
  spill_effects_free(e);
  spill_fit_free(f);
  spill_panel_free(p);
  spill_weights_free(w);
out:
  if (write(fd, &r, sizeof r) != (ssize_t)sizeof r) exit(1);
  spill_ctx_free(ctx);
}

static double expo(double a, double b, double na, double nb)
{
  return a > 0 && b > 0 ? log(b / a) / log(nb / na) : NAN;
}

/* ---- thread scaling ---- */

typedef struct tstep {
  double wall, cpu;
  double *bits; /* the results compared across thread counts */
  size_t nbits;
} tstep;

static void keep(tstep *s, const double *x, size_t m)
{
  s->bits = realloc(s->bits, (s->nbits + m) * sizeof *s->bits);
  if (!s->bits) exit(1);
  memcpy(s->bits + s->nbits, x, m * sizeof *x);
  s->nbits += m;
}

/* the four threaded steps on `threads` threads */
static void thread_steps(const spill_weights *w, const spill_panel *p, int threads, tstep st[4], int *probes)
{
  spill_ctx *ctx = spill_ctx_new();
  spill_fit_opts o;
  spill_fit *f, *fs;
  spill_effects_opts eo;
  spill_effects *e;
  spill_city_effects *c;
  double t0, c0, *dv;
  spill_ctx_set_threads(ctx, threads);
  memset(st, 0, 4 * sizeof *st);
  spill_fit_opts_init(&o);
  o.traces = 2; /* Monte Carlo variance traces whatever N */
  t0 = bench_now(), c0 = cpu_now();
  f = spill_fit_model(ctx, p, w, &o);
  st[0].wall = bench_now() - t0, st[0].cpu = cpu_now() - c0;
  if (!f) {
    fprintf(stderr, "fit failed: %s\n", spill_ctx_error(ctx));
    exit(1);
  }
  probes[0] = f->trace_probes;
  keep(&st[0], f->vcov, f->nv * f->nv);
  o.model = SPILL_MODEL_SAC;
  t0 = bench_now(), c0 = cpu_now();
  fs = spill_fit_model(ctx, p, w, &o);
  st[1].wall = bench_now() - t0, st[1].cpu = cpu_now() - c0;
  if (!fs) {
    fprintf(stderr, "SAC fit failed: %s\n", spill_ctx_error(ctx));
    exit(1);
  }
  probes[1] = fs->trace_probes;
  keep(&st[1], fs->vcov, fs->nv * fs->nv);
  spill_effects_opts_init(&eo);
  eo.method = SPILL_TRACE_MC;
  t0 = bench_now(), c0 = cpu_now();
  e = spill_effects_compute(ctx, f, w, NULL, &eo);
  st[2].wall = bench_now() - t0, st[2].cpu = cpu_now() - c0;
  if (!e) {
    fprintf(stderr, "effects failed: %s\n", spill_ctx_error(ctx));
    exit(1);
  }
  for (size_t k = 0; k < e->count; k++) {
    double v[6] = {e->e[k].direct.mean, e->e[k].direct.sd, e->e[k].indirect.mean, e->e[k].indirect.sd,
                   e->e[k].total.lo, e->e[k].total.hi};
    keep(&st[2], v, 6);
  }
  dv = calloc((size_t)w->n, sizeof *dv);
  for (int64_t i = 0; i < w->n; i += 500) dv[i] = 1.0;
  eo.draws = 200;
  t0 = bench_now(), c0 = cpu_now();
  c = spill_city_effects_compute(ctx, f, w, dv, &eo);
  st[3].wall = bench_now() - t0, st[3].cpu = cpu_now() - c0;
  if (!c) {
    fprintf(stderr, "city effects failed: %s\n", spill_ctx_error(ctx));
    exit(1);
  }
  keep(&st[3], c->total_lo, (size_t)w->n);
  keep(&st[3], c->received_hi, (size_t)w->n);
  free(dv);
  spill_city_effects_free(c);
  spill_effects_free(e);
  spill_fit_free(fs);
  spill_fit_free(f);
  spill_ctx_free(ctx);
}

/* the SDM fit with exact traces (N column solves, in blocks on threads) */
static void exact_step(const spill_weights *w, const spill_panel *p, int threads, tstep *st)
{
  spill_ctx *ctx = spill_ctx_new();
  spill_fit_opts o;
  spill_fit *f;
  double t0, c0;
  spill_ctx_set_threads(ctx, threads);
  memset(st, 0, sizeof *st);
  spill_fit_opts_init(&o);
  o.traces = 1;
  o.logdet = SPILL_LOGDET_CHOL;
  t0 = bench_now(), c0 = cpu_now();
  f = spill_fit_model(ctx, p, w, &o);
  st->wall = bench_now() - t0, st->cpu = cpu_now() - c0;
  if (!f) {
    fprintf(stderr, "exact fit failed: %s\n", spill_ctx_error(ctx));
    exit(1);
  }
  keep(st, f->vcov, f->nv * f->nv);
  spill_fit_free(f);
  spill_ctx_free(ctx);
}

static void thread_scaling(int64_t target)
{
  spill_ctx *ctx = spill_ctx_new();
  int64_t side = (int64_t)llround(sqrt((double)target)), t = 10;
  spill_weights *w = spill_weights_lattice(ctx, side, side, 0);
  spill_panel *p;
  tstep s1[4], s2[4];
  int pr1[2], pr2[2];
  const char *names[4] = {"SDM fit, MC variance", "SAC fit, MC variance", "effects, 1000 draws",
                          "city effects, 200 draws"};
  if (!w || spill_weights_transform(ctx, w, 'W')) exit(1);
  p = simulate(ctx, w, t);
  /* twice each, alternating, keeping the faster (the first run also warms
   * caches and page tables; the machine is shared) */
  for (int rep = 0; rep < 2; rep++) {
    tstep a[4], b[4];
    thread_steps(w, p, 1, a, pr1);
    thread_steps(w, p, 2, b, pr2);
    for (int k = 0; k < 4; k++) {
      if (rep == 0 || a[k].wall < s1[k].wall) {
        if (rep) free(s1[k].bits);
        s1[k] = a[k];
      } else {
        free(a[k].bits);
      }
      if (rep == 0 || b[k].wall < s2[k].wall) {
        if (rep) free(s2[k].bits);
        s2[k] = b[k];
      } else {
        free(b[k].bits);
      }
    }
  }
  printf("\nthread scaling, N = %lld, T = %lld (the same run; the machine is shared, so read the ratios):\n",
         (long long)w->n, (long long)t);
  printf("%-26s | %8s %8s | %8s %8s | %7s %9s\n", "step (best of 2)", "1 thr s", "cpu s", "2 thr s", "cpu s", "speedup",
         "identical");
  for (int k = 0; k < 4; k++) {
    int same = s1[k].nbits == s2[k].nbits && memcmp(s1[k].bits, s2[k].bits, s1[k].nbits * sizeof(double)) == 0;
    printf("%-26s | %8.2f %8.2f | %8.2f %8.2f | %7.2f %9s\n", names[k], s1[k].wall, s1[k].cpu, s2[k].wall,
           s2[k].cpu, s1[k].wall / s2[k].wall, same ? "yes" : "NO");
    free(s1[k].bits);
    free(s2[k].bits);
  }
  { /* exact traces on a map of 4900 units (the exact path's largest size under auto) */
    spill_weights *we = spill_weights_lattice(ctx, 70, 70, 0);
    spill_panel *pe;
    tstep e1, e2;
    int same;
    if (!we || spill_weights_transform(ctx, we, 'W')) exit(1);
    pe = simulate(ctx, we, t);
    exact_step(we, pe, 1, &e1);
    exact_step(we, pe, 2, &e2);
    same = e1.nbits == e2.nbits && memcmp(e1.bits, e2.bits, e1.nbits * sizeof(double)) == 0;
    printf("%-26s | %8.2f %8.2f | %8.2f %8.2f | %7.2f %9s\n", "SDM fit, exact, N = 4900", e1.wall, e1.cpu,
           e2.wall, e2.cpu, e1.wall / e2.wall, same ? "yes" : "NO");
    free(e1.bits);
    free(e2.bits);
    spill_panel_free(pe);
    spill_weights_free(we);
  }
  printf("(variance probes: SDM %d, SAC %d; the fits include the serial ML search)\n", pr1[0], pr1[1]);
  spill_panel_free(p);
  spill_weights_free(w);
  spill_ctx_free(ctx);
}

int main(int argc, char **argv)
{
  int64_t def[] = {1000, 10000, 100000}, sizes[16], tsize = 0;
  int ns = 0, threads = 1, table = 1;
  result res[16];
  for (int a = 1; a < argc && ns < 16; a++) {
    if (!strcmp(argv[a], "--no-threads")) threads = 0;
    else if (!strcmp(argv[a], "--threads-only")) table = 0;
    else sizes[ns++] = atoll(argv[a]);
  }
  if (!ns)
    for (int a = 0; a < 3; a++) sizes[ns++] = def[a];
  for (int k = 0; k < ns; k++)
    if (sizes[k] <= 100000 && sizes[k] > tsize) tsize = sizes[k];
  if (!table) {
    thread_scaling(tsize ? tsize : 10000);
    return 0;
  }
  printf("bench_scale: rook lattice (spill_weights_lattice), row-standardised; SDM two-way FE,\n"
         "treatment + 1 control with W terms; T = 10 (T = 5 at N >= 1e6); effects with 1000 draws\n");
  printf("wall s = elapsed, cpu s = user + system of the process (the machine is shared: wall\n"
         "time depends on the load, CPU time much less)\n");
  printf("%9s %3s | %7s %7s | %7s %7s %7s %5s %6s %6s %8s | %7s %7s %7s | %9s %9s\n", "N", "T", "W s",
         "W MB", "fit s", "fit cpu", "fit MB", "ldet", "probes", "mcerr%", "ldet err", "eff s", "eff cpu",
         "eff MB", "rho", "se(rho)");
  for (int k = 0; k < ns; k++) {
    int fds[2];
    pid_t pid;
    memset(&res[k], 0, sizeof res[k]);
    if (pipe(fds)) return 1;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
      close(fds[0]);
      run_size(sizes[k], fds[1]);
      _exit(0);
    }
    close(fds[1]);
    if (read(fds[0], &res[k], sizeof res[k]) != (ssize_t)sizeof res[k]) res[k].ok = 0;
    close(fds[0]);
    waitpid(pid, NULL, 0);
    printf("%9.0f %3d | %7.3f %7.1f | %7.2f %7.2f %7.1f %5s %6d %6.3f %8.1e | %7.2f %7.2f %7.1f | %9.6f %9.6f%s\n",
           res[k].n, sizes[k] >= 1000000 ? 5 : 10, res[k].t_w, res[k].mb_w, res[k].t_fit, res[k].c_fit,
           res[k].mb_fit, res[k].ldet, res[k].probes, 100.0 * res[k].mcerr, res[k].ldet_err, res[k].t_eff,
           res[k].c_eff, res[k].mb_eff, res[k].rho, res[k].rho_se, res[k].ok ? "" : "  (failed)");
  }
  printf("growth exponents d log(cost) / d log(N) between successive sizes (1 = linear):\n");
  for (int k = 1; k < ns; k++)
    printf("  %.0f -> %.0f: weights time %.2f, fit time %.2f (cpu %.2f), effects time %.2f (cpu %.2f), "
           "peak memory %.2f\n",
           res[k - 1].n, res[k].n, expo(res[k - 1].t_w, res[k].t_w, res[k - 1].n, res[k].n),
           expo(res[k - 1].t_fit, res[k].t_fit, res[k - 1].n, res[k].n),
           expo(res[k - 1].c_fit, res[k].c_fit, res[k - 1].n, res[k].n),
           expo(res[k - 1].t_eff, res[k].t_eff, res[k - 1].n, res[k].n),
           expo(res[k - 1].c_eff, res[k].c_eff, res[k - 1].n, res[k].n),
           expo(res[k - 1].mb_eff, res[k].mb_eff, res[k - 1].n, res[k].n));
  if (threads && tsize) thread_scaling(tsize);
  return 0;
}
