/* Helpers shared by the subcommands: context set-up, errors, parsing,
 * the weights summary and output. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

/* A one-line progress bar on stderr, redrawn at most every 1%. */
typedef struct progress_state {
  char what[64];
  int last_pct;
} progress_state;

static progress_state g_progress_state; /* only the CLI keeps state for the terminal */

static void on_progress(void *user, const char *what, double fraction)
{
  progress_state *st = user;
  int pct = (int)floor(fraction * 100.0 + 0.5);
  if (strcmp(st->what, what) != 0) {
    snprintf(st->what, sizeof st->what, "%s", what);
    st->last_pct = -1;
  }
  if (pct == st->last_pct) return;
  st->last_pct = pct;
  fprintf(stderr, "\r\033[K%s %3d%%", what, pct);
  if (pct >= 100) fputc('\n', stderr);
  fflush(stderr);
}

/* Notices: the first few are printed, then one line says how to see all
 * (a map with 175 repaired polygons should not flood the terminal). */
typedef struct notice_state {
  int printed, verbose;
} notice_state;

static notice_state g_notice_state;

static void on_notice(void *user, const char *msg)
{
  notice_state *st = user;
  if (st->verbose || st->printed < 5)
    fprintf(stderr, "spill: note: %s\n", msg);
  else if (st->printed == 5)
    fprintf(stderr, "spill: note: further notes not shown (set SPILL_VERBOSE=1 to see them all)\n");
  st->printed++;
}

/* Interrupts: SIGINT/SIGTERM remove every temporary output (the library's,
 * through its context, and cli_out_open's), say so, and exit at once with
 * 128 + the signal number; outputs completed earlier are left as they are. */
enum { CLI_TMP_SLOTS = 16, CLI_TMP_LEN = 1024 };
static spill_ctx *g_signal_ctx;
static char g_cli_tmp[CLI_TMP_SLOTS][CLI_TMP_LEN];
static volatile sig_atomic_t g_cli_tmp_live[CLI_TMP_SLOTS];
static unsigned g_cli_tmp_next;

static void track_cli_temporary(const char *tmp)
{
  size_t len = strlen(tmp);
  if (len >= CLI_TMP_LEN) return;
  unsigned k = g_cli_tmp_next++ % CLI_TMP_SLOTS;
  g_cli_tmp_live[k] = 0;
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  memcpy(g_cli_tmp[k], tmp, len + 1);
  __atomic_signal_fence(__ATOMIC_SEQ_CST);
  g_cli_tmp_live[k] = 1;
}

static void on_signal(int sig)
{
  static const char msg[] = "\nspill: interrupted; temporary files removed, earlier outputs kept\n";
  spill_ctx_remove_temporaries(g_signal_ctx);
  for (unsigned k = 0; k < CLI_TMP_SLOTS; k++)
    if (g_cli_tmp_live[k]) unlink(g_cli_tmp[k]);
  ssize_t ignored = write(STDERR_FILENO, msg, sizeof msg - 1);
  (void)ignored;
  _exit(128 + sig);
}

void cli_signals_init(void)
{
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
}

spill_ctx *cli_ctx_new(void)
{
  spill_ctx *ctx = spill_ctx_new();
  if (!ctx) {
    fputs("spill: cannot start (out of memory, or GEOS/PROJ failed to initialise)\n", stderr);
    exit(CLI_FAIL);
  }
  if (!g_signal_ctx) g_signal_ctx = ctx;
  if (isatty(STDERR_FILENO)) spill_ctx_set_progress(ctx, on_progress, &g_progress_state);
  g_notice_state.verbose = getenv("SPILL_VERBOSE") && *getenv("SPILL_VERBOSE") && strcmp(getenv("SPILL_VERBOSE"), "0");
  spill_ctx_set_notice(ctx, on_notice, &g_notice_state);
  return ctx;
}

void cli_ctx_free(spill_ctx *ctx)
{
  if (ctx && ctx == g_signal_ctx) {
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &old); /* the handler must not see a freed context */
    g_signal_ctx = NULL;
    spill_ctx_free(ctx);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return;
  }
  spill_ctx_free(ctx);
}

int cli_fail(spill_ctx *ctx)
{
  fprintf(stderr, "spill: %s\n", spill_ctx_error(ctx));
  switch (spill_ctx_status(ctx)) {
  case SPILL_ENUM: return CLI_NUMERIC;
  case SPILL_EDEP: return CLI_DEPENDENCY;
  default: return CLI_FAIL;
  }
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
  va_list ap;
  fprintf(stderr, "spill %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n(see: spill %s --help)\n", cmd);
  return CLI_USAGE;
}

int cli_parse_double(const char *cmd, const char *opt, const char *s, double *out)
{
  char *end;
  errno = 0;
  *out = strtod(s, &end);
  if (errno || end == s || *end || !isfinite(*out)) {
    cli_usage_error(cmd, "%s expects a number, got '%s'", opt, s);
    return -1;
  }
  return 0;
}

int cli_parse_long(const char *cmd, const char *opt, const char *s, long *out)
{
  char *end;
  errno = 0;
  *out = strtol(s, &end, 10);
  if (errno || end == s || *end) {
    cli_usage_error(cmd, "%s expects a whole number, got '%s'", opt, s);
    return -1;
  }
  return 0;
}

char **cli_split_list(const char *s, size_t *count)
{
  size_t n = 1, k = 0;
  char **list;
  for (const char *c = s; *c; c++) n += *c == ',';
  list = calloc(n + 1, sizeof *list);
  if (!list) return NULL;
  while (*s) {
    const char *e = strchr(s, ',');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    if (len) {
      list[k] = malloc(len + 1);
      if (!list[k]) {
        cli_free_list(list);
        return NULL;
      }
      memcpy(list[k], s, len);
      list[k++][len] = '\0';
    }
    s += len + (e ? 1 : 0);
  }
  *count = k;
  return list;
}

void cli_free_list(char **list)
{
  if (!list) return;
  for (char **p = list; *p; p++) free(*p);
  free(list);
}

int cli_print_weights_summary(spill_ctx *ctx, FILE *out, const spill_weights *w, const char *label)
{
  spill_weights_summary s;
  int rc = spill_weights_summarize(ctx, w, &s);
  if (rc) return rc;
  fprintf(out, "Neighbour list object (%s):\n", label);
  fprintf(out, "Number of regions: %lld\n", (long long)s.n);
  fprintf(out, "Number of nonzero links: %lld\n", (long long)s.links);
  fprintf(out, "Percentage nonzero weights: %.7g\n", s.pct_nonzero);
  fprintf(out, "Average number of links: %.7g\n", s.mean_neighbours);
  fprintf(out, "Min / max links: %lld / %lld\n", (long long)s.min_neighbours,
          (long long)s.max_neighbours);
  if (s.n_islands) {
    fprintf(out, "%lld region%s with no links:", (long long)s.n_islands, s.n_islands > 1 ? "s" : "");
    for (int64_t k = 0; k < s.n_islands; k++) fprintf(out, " %s", w->ids[s.islands[k]]);
    fputc('\n', out);
  } else {
    fprintf(out, "No regions without links\n");
  }
  fprintf(out, "Connected components: %lld\n", (long long)s.n_components);
  fprintf(out, "Symmetric: %s\n", s.symmetric ? "yes" : s.symmetric_pattern ? "pattern only" : "no");
  fprintf(out, "Style: %c", w->style);
  if (s.links) fprintf(out, " (row sums %.6g to %.6g)", s.min_rowsum, s.max_rowsum);
  fputc('\n', out);
  spill_weights_summary_clear(&s);
  return SPILL_OK;
}

int cli_wformat(const char *name)
{
  static const struct { const char *name; spill_wformat fmt; } table[] = {
      {"gal", SPILL_WFMT_GAL}, {"gwt", SPILL_WFMT_GWT},     {"mtx", SPILL_WFMT_MTX},
      {"csv", SPILL_WFMT_CSV}, {"dense", SPILL_WFMT_DENSE}, {"auto", SPILL_WFMT_AUTO},
      {"stata", SPILL_WFMT_STATA}, {"dta", SPILL_WFMT_DTA}};
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (!strcmp(name, table[i].name)) return (int)table[i].fmt;
  return -1;
}

int cli_finish_weights(spill_ctx *ctx, spill_weights *w, const char *style, const char *out,
                       const char *fmt_name, const char *label)
{
  spill_wformat fmt = SPILL_WFMT_AUTO;
  if (style) {
    if (strlen(style) != 1) return cli_usage_error("weights", "--style expects one letter: B, W, C, U, S or M");
    if (spill_weights_transform(ctx, w, style[0])) return cli_fail(ctx);
  }
  if (fmt_name) {
    int f = cli_wformat(fmt_name);
    if (f < 0) return cli_usage_error("weights", "unknown --format '%s' (gal, gwt, mtx, csv, dense, stata, dta)", fmt_name);
    fmt = (spill_wformat)f;
  }
  if (out) {
    if (fmt == SPILL_WFMT_AUTO && spill_wformat_from_path(out) == SPILL_WFMT_AUTO)
      return cli_usage_error("weights", "cannot tell the format of '%s': use .gal, .gwt, .mtx, .csv, .txt (Stata) or .dta, or --format", out);
    if (spill_weights_write(ctx, w, out, fmt)) return cli_fail(ctx);
  }
  if (cli_print_weights_summary(ctx, stdout, w, label)) return cli_fail(ctx);
  if (out) printf("Written: %s\n", out);
  return CLI_OK;
}

FILE *cli_out_open(const char *path, char **tmp)
{
  size_t len = strlen(path) + 32;
  FILE *f;
  *tmp = malloc(len);
  if (!*tmp) return NULL;
  snprintf(*tmp, len, "%s.tmp%ld", path, (long)getpid());
  track_cli_temporary(*tmp);
  f = fopen(*tmp, "w");
  if (!f) {
    fprintf(stderr, "spill: cannot write %s: %s\n", path, strerror(errno));
    free(*tmp);
    *tmp = NULL;
  }
  return f;
}

int cli_out_close(FILE *f, char *tmp, const char *path, int ok)
{
  int bad = ferror(f) != 0;
  if (fclose(f) != 0) bad = 1;
  if (ok && !bad && rename(tmp, path) == 0) {
    free(tmp);
    return CLI_OK;
  }
  if (ok) fprintf(stderr, "spill: cannot write %s: %s\n", path, bad ? "write failed" : strerror(errno));
  remove(tmp);
  free(tmp);
  return CLI_FAIL;
}
