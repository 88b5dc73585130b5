/* shapelib I/O hooks that read a whole file into memory on open, so that
 * reading record by record costs no seek or read system call (the fast path
 * of `spill weights queen|rook` reads the .dbf so; its .shp goes through
 * shapes/shpraw.c).
 * Read-only: opening for writing fails, and shapelib then reports it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "shapes/read.h"

typedef struct memfile {
  unsigned char *data;
  size_t size, pos;
} memfile;

static SAFile mem_open(const char *filename, const char *access)
{
  FILE *f;
  memfile *m;
  long len;
  if (!access || strchr(access, 'w') || strchr(access, '+') || strchr(access, 'a')) return NULL;
  if (!(f = fopen(filename, "rb"))) return NULL;
  m = calloc(1, sizeof *m);
  if (!m || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) goto fail;
  m->size = (size_t)len;
  m->data = spill__malloc_big(NULL, m->size ? m->size : 1, 1);
  if (!m->data || fread(m->data, 1, m->size, f) != m->size) goto fail;
  fclose(f);
  return (SAFile)m;
fail:
  fclose(f);
  if (m) free(m->data);
  free(m);
  return NULL;
}

static SAOffset mem_read(void *p, SAOffset size, SAOffset nmemb, SAFile file)
{
  memfile *m = (memfile *)file;
  size_t want = (size_t)size * (size_t)nmemb, have = m->pos < m->size ? m->size - m->pos : 0;
  size_t n = size ? (want <= have ? (size_t)nmemb : have / (size_t)size) : 0;
  memcpy(p, m->data + m->pos, n * (size_t)size);
  m->pos += n * (size_t)size;
  return (SAOffset)n;
}

static SAOffset mem_write(void *p, SAOffset size, SAOffset nmemb, SAFile file)
{
  (void)p;
  (void)size;
  (void)nmemb;
  (void)file;
  return 0;
}

static SAOffset mem_seek(SAFile file, SAOffset offset, int whence)
{
  memfile *m = (memfile *)file;
  size_t base = whence == SEEK_CUR ? m->pos : whence == SEEK_END ? m->size : 0;
  m->pos = base + (size_t)offset;
  return 0;
}

static SAOffset mem_tell(SAFile file) { return (SAOffset)((memfile *)file)->pos; }
static int mem_flush(SAFile file) { (void)file; return 0; }

static int mem_close(SAFile file)
{
  memfile *m = (memfile *)file;
  if (m) free(m->data);
  free(m);
  return 0;
}

void spill__memfile_hooks(SAHooks *hooks)
{
  hooks->FOpen = mem_open;
  hooks->FRead = mem_read;
  hooks->FWrite = mem_write;
  hooks->FSeek = mem_seek;
  hooks->FTell = mem_tell;
  hooks->FFlush = mem_flush;
  hooks->FClose = mem_close;
}
