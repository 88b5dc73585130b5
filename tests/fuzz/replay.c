/* Replay a fuzz corpus: call the harness on every file of the directories
 * (or files) named on the command line. Exit 0 when none crashed. Built for
 * every harness with the ordinary compiler, so ctest replays the corpus on
 * every run without clang. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  if (!f) { fprintf(stderr, "replay: cannot open %s\n", path); return 1; }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  rewind(f);
  uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
  if (!buf || (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)) { fclose(f); free(buf); return 1; }
  fclose(f);
  LLVMFuzzerTestOneInput(buf, (size_t)n);
  free(buf);
  return 0;
}

int main(int argc, char **argv)
{
  int files = 0, bad = 0;
  for (int a = 1; a < argc; a++) {
    struct stat st;
    if (stat(argv[a], &st) != 0) { fprintf(stderr, "replay: no %s\n", argv[a]); return 1; }
    if (!S_ISDIR(st.st_mode)) { bad += run_file(argv[a]); files++; continue; }
    DIR *d = opendir(argv[a]);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      char path[4096];
      snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
      bad += run_file(path);
      files++;
    }
    if (d) closedir(d);
  }
  printf("replayed %d inputs\n", files);
  if (files == 0) { fprintf(stderr, "replay: empty corpus\n"); return 1; }
  return bad ? 1 : 0;
}
