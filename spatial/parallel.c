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

typedef struct worker {
  pthread_t th;
  spill_ctx ctx;     /* private error buffer */
  spill__task_fn fn;
  void *user;
  int thread, nthreads, rc, started;
} worker;

static void *run(void *arg)
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

int spill__run_parallel(spill_ctx *ctx, int nthreads, spill__task_fn fn, void *user)
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
  for (int t = 1; t < nthreads; t++) wk[t].started = pthread_create(&wk[t].th, NULL, run, &wk[t]) == 0;
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
