/* A minimal fork-join over POSIX threads for the neighbour searches, the
 * Monte Carlo trace probes and the simulation draws. Each worker gets a copy
 * of the context with its own error buffer and its own CHOLMOD common
 * (started on first use by spill__cholmod, finished here), so workers can
 * solve with one shared, read-only factor: CHOLMOD keeps its workspace and
 * status in the common, never in the factor. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "spatial/parallel.h"

#define MAX_THREADS 64

/* OpenBLAS, when it is the BLAS: one BLAS thread while tasks run (also on
 * one worker), so that threads are not multiplied (CHOLMOD's supernodal
 * solves call BLAS) and every solve does the same arithmetic whatever the
 * number of workers. Weak: absent with another BLAS, nothing is done. */
extern int openblas_get_num_threads(void) __attribute__((weak));
extern void openblas_set_num_threads(int) __attribute__((weak));

typedef struct worker {
  pthread_t th;
  spill_ctx ctx;     /* private error buffer */
  spill__task_fn fn;
  void *user;
  int thread, nthreads, rc, started;
} worker;

static void *work(void *arg)
{
  worker *wk = arg;
  wk->rc = wk->fn(&wk->ctx, wk->user, wk->thread, wk->nthreads);
  return NULL;
}

int spill__thread_count(const spill_ctx *ctx, int64_t work)
{
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  int t = ctx->threads > 0 ? ctx->threads : (int)(cpus > 0 ? cpus : 1);
  if (ctx->threads == 0 && work < 20000) return 1; /* automatic: small jobs stay serial */
  if (t > MAX_THREADS) t = MAX_THREADS;
  return t < 1 ? 1 : t;
}

static int run(spill_ctx *ctx, int nthreads, spill__task_fn fn, void *user);

int spill__run_parallel(spill_ctx *ctx, int nthreads, spill__task_fn fn, void *user)
{
  int blas = openblas_get_num_threads && openblas_set_num_threads ? openblas_get_num_threads() : 1, rc;
  if (blas > 1) openblas_set_num_threads(1);
  rc = run(ctx, nthreads, fn, user);
  if (blas > 1) openblas_set_num_threads(blas);
  return rc;
}

static int run(spill_ctx *ctx, int nthreads, spill__task_fn fn, void *user)
{
  worker *wk;
  int rc = SPILL_OK;
  if (nthreads <= 1) return fn(ctx, user, 0, 1);
  wk = spill__calloc(ctx, (size_t)nthreads, sizeof *wk);
  if (!wk) return SPILL_ENOMEM;
  for (int t = 1; t < nthreads; t++) {
    wk[t].ctx = *ctx;
    wk[t].ctx.progress = NULL;
    wk[t].ctx.notice = NULL;
    wk[t].ctx.status = SPILL_OK;
    wk[t].ctx.err[0] = '\0';
    wk[t].ctx.cholmod = NULL; /* its own, on first use */
    wk[t].fn = fn;
    wk[t].user = user;
    wk[t].thread = t;
    wk[t].nthreads = nthreads;
  }
  /* threads that fail to start have their share run here afterwards */
  for (int t = 1; t < nthreads; t++) wk[t].started = pthread_create(&wk[t].th, NULL, work, &wk[t]) == 0;
  wk[0].rc = fn(ctx, user, 0, nthreads);
  for (int t = 1; t < nthreads; t++) {
    if (wk[t].started) pthread_join(wk[t].th, NULL);
    else wk[t].rc = fn(&wk[t].ctx, user, t, nthreads);
  }
  for (int t = 1; t < nthreads; t++) spill__cholmod_release(&wk[t].ctx);
  if (wk[0].rc) rc = wk[0].rc;
  for (int t = 1; t < nthreads && !rc; t++)
    if (wk[t].rc) {
      rc = wk[t].rc;
      ctx->status = wk[t].ctx.status;
      memcpy(ctx->err, wk[t].ctx.err, sizeof ctx->err);
    }
  free(wk);
  return rc;
}
