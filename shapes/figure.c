/* Figure files written atomically with cairo (see figure.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#include "shapes/figure.h"

int spill__figure_open(spill_ctx *ctx, spill__figure *f, const char *path)
{
  char ext[16];
  FILE *fp;
  memset(f, 0, sizeof *f);
  f->path = path;
  spill__extension(path, ext);
  if (!strcmp(ext, "png")) f->fmt = SPILL__FIG_PNG;
  else if (!strcmp(ext, "svg")) f->fmt = SPILL__FIG_SVG;
  else if (!strcmp(ext, "pdf")) f->fmt = SPILL__FIG_PDF;
  else return spill__fail(ctx, SPILL_EINVAL, "%s: cannot tell the image format: name it .png, .svg or .pdf", path);
  if (!(f->tmp = spill__temp_name(ctx, path))) return SPILL_ENOMEM;
  if (!(fp = fopen(f->tmp, "wb"))) {
    int rc = spill__fail(ctx, SPILL_EIO, "cannot write %s: %s (is the folder there and writable?)", path,
                         strerror(errno));
    free(f->tmp);
    f->tmp = NULL;
    return rc;
  }
  fclose(fp);
  return SPILL_OK;
}

int spill__figure_surface(spill_ctx *ctx, spill__figure *f, double w, double h)
{
  if (f->fmt == SPILL__FIG_PNG) f->surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, (int)w, (int)h);
  else if (f->fmt == SPILL__FIG_SVG) f->surf = cairo_svg_surface_create(f->tmp, w, h);
  else f->surf = cairo_pdf_surface_create(f->tmp, w, h);
  if (cairo_surface_status(f->surf) != CAIRO_STATUS_SUCCESS)
    return spill__fail(ctx, f->fmt == SPILL__FIG_PNG ? SPILL_ENOMEM : SPILL_EIO, "cannot start %s: cairo: %s",
                       f->path, cairo_status_to_string(cairo_surface_status(f->surf)));
  return SPILL_OK;
}

int spill__figure_close(spill_ctx *ctx, spill__figure *f)
{
  cairo_status_t st = CAIRO_STATUS_SUCCESS;
  int rc;
  cairo_surface_flush(f->surf);
  if (f->fmt == SPILL__FIG_PNG) st = cairo_surface_write_to_png(f->surf, f->tmp);
  cairo_surface_finish(f->surf);
  if (st == CAIRO_STATUS_SUCCESS) st = cairo_surface_status(f->surf);
  if (st != CAIRO_STATUS_SUCCESS) {
    rc = spill__fail(ctx, SPILL_EIO, "cannot write %s: cairo: %s", f->path, cairo_status_to_string(st));
    spill__figure_discard(f);
    return rc;
  }
  cairo_surface_destroy(f->surf);
  f->surf = NULL;
  rc = spill__rename(ctx, f->tmp, f->path);
  free(f->tmp);
  f->tmp = NULL;
  return rc;
}

void spill__figure_discard(spill__figure *f)
{
  if (f->surf) {
    cairo_surface_finish(f->surf);
    cairo_surface_destroy(f->surf);
    f->surf = NULL;
  }
  if (f->tmp) {
    unlink(f->tmp);
    free(f->tmp);
    f->tmp = NULL;
  }
}
