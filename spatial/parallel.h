/* Private to spatial/: run one task on several threads (POSIX threads). */
#ifndef SPILL_PARALLEL_H
#define SPILL_PARALLEL_H

#include "core/internal.h"

/* A task's share of the work is decided by (thread, nthreads). Thread 0 runs
 * in the caller with ctx itself (and may report progress); the others get a
 * private copy of ctx without progress or notice callbacks, so failures are
 * recorded without races. Returns 0 or a negative status. */
typedef int (*spill__task_fn)(spill_ctx *ctx, void *user, int thread, int nthreads);

/* Threads to use for `work` units of work: ctx->threads when set, else the
 * online processors, or 1 for small jobs. */
int spill__thread_count(const spill_ctx *ctx, int64_t work);

/* Run fn on nthreads threads and wait. The first failure (lowest thread) is
 * copied into ctx. Falls back to fewer threads if some cannot start. */
int spill__run_parallel(spill_ctx *ctx, int nthreads, spill__task_fn fn, void *user);

#endif
