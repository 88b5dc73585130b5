/* Shared by the benchmarks: wall-clock time and peak memory. */
#ifndef SPILL_BENCH_H
#define SPILL_BENCH_H

#include <sys/resource.h>
#include <time.h>

/* Seconds on a monotonic clock. */
static inline double bench_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Peak resident set of this process so far, in MB (Linux reports kB). */
static inline double bench_peak_mb(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

#endif
