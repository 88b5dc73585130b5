/* Minimal test harness: one executable per module, run by ctest.
 * Exit 0 when every check passed, 1 on any failure, 77 to skip. */
#ifndef SPILL_CHECK_H
#define SPILL_CHECK_H

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int check_failures = 0;
static int check_count = 0;

#define CHECK(cond)                                                              \
  do {                                                                           \
    check_count++;                                                               \
    if (!(cond)) {                                                               \
      check_failures++;                                                          \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
    }                                                                            \
  } while (0)

#define CHECK_MSG(cond, ...)                                                     \
  do {                                                                           \
    check_count++;                                                               \
    if (!(cond)) {                                                               \
      check_failures++;                                                          \
      fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);   \
      fprintf(stderr, __VA_ARGS__);                                              \
      fputc('\n', stderr);                                                       \
    }                                                                            \
  } while (0)

/* |a - b| <= tol * max(1, |b|): relative for large b, absolute near zero. */
#define CHECK_REL(a, b, tol)                                                     \
  do {                                                                           \
    double check_a_ = (a), check_b_ = (b);                                       \
    double check_s_ = fabs(check_b_) > 1.0 ? fabs(check_b_) : 1.0;              \
    check_count++;                                                               \
    if (!(fabs(check_a_ - check_b_) <= (tol) * check_s_)) {                      \
      check_failures++;                                                          \
      fprintf(stderr, "%s:%d: %s = %.15g, expected %s = %.15g (tol %g)\n",       \
              __FILE__, __LINE__, #a, check_a_, #b, check_b_, (double)(tol));    \
    }                                                                            \
  } while (0)

/* Strictly relative: |a - b| <= tol * |b|. */
#define CHECK_RELSTRICT(a, b, tol)                                               \
  do {                                                                           \
    double check_a_ = (a), check_b_ = (b);                                       \
    check_count++;                                                               \
    if (!(fabs(check_a_ - check_b_) <= (tol) * fabs(check_b_))) {                \
      check_failures++;                                                          \
      fprintf(stderr, "%s:%d: %s = %.15g, expected %s = %.15g (rel tol %g)\n",   \
              __FILE__, __LINE__, #a, check_a_, #b, check_b_, (double)(tol));    \
    }                                                                            \
  } while (0)

#define CHECK_EQ_INT(a, b)                                                       \
  do {                                                                           \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);              \
    check_count++;                                                               \
    if (check_a_ != check_b_) {                                                  \
      check_failures++;                                                          \
      fprintf(stderr, "%s:%d: %s = %lld, expected %s = %lld\n", __FILE__,        \
              __LINE__, #a, check_a_, #b, check_b_);                             \
    }                                                                            \
  } while (0)

#define CHECK_STR(a, b)                                                          \
  do {                                                                           \
    const char *check_a_ = (a), *check_b_ = (b);                                 \
    check_count++;                                                               \
    if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {             \
      check_failures++;                                                          \
      fprintf(stderr, "%s:%d: %s = \"%s\", expected \"%s\"\n", __FILE__,         \
              __LINE__, #a, check_a_ ? check_a_ : "(null)",                      \
              check_b_ ? check_b_ : "(null)");                                   \
    }                                                                            \
  } while (0)

/* Print the summary line and return the process exit status. */
static inline int check_done(const char *name)
{
  printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
  return check_failures ? 1 : 0;
}

/* Path of a file in ../shared/data, or NULL (printing why) when absent. */
static inline const char *check_shared(const char *rel, char *buf, size_t size)
{
  struct stat st;
  snprintf(buf, size, "%s/%s", SPILL_SHARED_DIR, rel);
  if (stat(buf, &st) != 0) {
    printf("SKIP: %s not found (the shared data is not beside this clone)\n", buf);
    return NULL;
  }
  return buf;
}

/* A fresh scratch directory for this test; returns its path. */
static inline const char *check_tmpdir(void)
{
  static char cmd[1024];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s'", SPILL_TEST_TMP, SPILL_TEST_TMP);
  if (system(cmd) != 0) {
    fprintf(stderr, "cannot create %s\n", SPILL_TEST_TMP);
    exit(1);
  }
  return SPILL_TEST_TMP;
}

#endif
