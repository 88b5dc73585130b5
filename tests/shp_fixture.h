/* Small shapefiles written by the tests themselves with shapelib: squares,
 * rings with holes, multipart units, points, null shapes, and a DBF with a
 * numeric CODE and a text NAME field. Used by test_shapes and test_contiguity. */
#ifndef SPILL_SHP_FIXTURE_H
#define SPILL_SHP_FIXTURE_H

#include <shapefil.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fx {
  SHPHandle shp;
  DBFHandle dbf;
  int n;
  char base[1024];
} fx;

/* Create BASE.shp/.shx/.dbf of the given shape type (SHPT_POLYGON or
 * SHPT_POINT) with fields CODE (number) and NAME (text, 40 bytes). */
static inline void fx_open(fx *f, const char *base, int type)
{
  char path[1100];
  snprintf(f->base, sizeof f->base, "%s", base);
  snprintf(path, sizeof path, "%s.shp", base);
  f->shp = SHPCreate(path, type);
  snprintf(path, sizeof path, "%s.dbf", base);
  f->dbf = DBFCreate(path);
  if (!f->shp || !f->dbf) {
    fprintf(stderr, "fixture: cannot create %s\n", base);
    exit(1);
  }
  DBFAddField(f->dbf, "CODE", FTDouble, 12, 0);
  DBFAddField(f->dbf, "NAME", FTString, 40, 0);
  f->n = 0;
}

static inline void fx_attrs(fx *f, double code, const char *name)
{
  DBFWriteDoubleAttribute(f->dbf, f->n, 0, code);
  DBFWriteStringAttribute(f->dbf, f->n, 1, name ? name : "");
  f->n++;
}

/* A record of nparts rings; ring k holds the points starts[k]..starts[k+1]-1
 * of x, y (nv in all). */
static inline void fx_rings(fx *f, int nparts, const int *starts, int nv, const double *x, const double *y,
                            double code, const char *name)
{
  SHPObject *o = SHPCreateObject(SHPT_POLYGON, -1, nparts, starts, NULL, nv, x, y, NULL, NULL);
  SHPWriteObject(f->shp, -1, o);
  SHPDestroyObject(o);
  fx_attrs(f, code, name);
}

/* Points of a clockwise (outer) or counter-clockwise (hole) square ring. */
static inline void fx_square_ring(double x0, double y0, double s, int clockwise, double *x, double *y)
{
  double cx[5] = {x0, x0, x0 + s, x0 + s, x0}, cy[5] = {y0, y0 + s, y0 + s, y0, y0};
  for (int k = 0; k < 5; k++) {
    x[k] = clockwise ? cx[k] : cx[4 - k];
    y[k] = clockwise ? cy[k] : cy[4 - k];
  }
}

static inline void fx_square(fx *f, double x0, double y0, double s, double code, const char *name)
{
  double x[5], y[5];
  int starts[1] = {0};
  fx_square_ring(x0, y0, s, 1, x, y);
  fx_rings(f, 1, starts, 5, x, y, code, name);
}

static inline void fx_point(fx *f, double x, double y, double code, const char *name)
{
  SHPObject *o = SHPCreateSimpleObject(SHPT_POINT, 1, &x, &y, NULL);
  SHPWriteObject(f->shp, -1, o);
  SHPDestroyObject(o);
  fx_attrs(f, code, name);
}

static inline void fx_null(fx *f, double code, const char *name)
{
  SHPObject *o = SHPCreateSimpleObject(SHPT_NULL, 0, NULL, NULL, NULL);
  SHPWriteObject(f->shp, -1, o);
  SHPDestroyObject(o);
  fx_attrs(f, code, name);
}

static inline void fx_close(fx *f)
{
  SHPClose(f->shp);
  DBFClose(f->dbf);
}

/* Write BASE.EXT holding text (a .cpg or .prj). */
static inline void fx_sidecar(const char *base, const char *ext, const char *text)
{
  char path[1100];
  FILE *o;
  snprintf(path, sizeof path, "%s.%s", base, ext);
  o = fopen(path, "wb");
  if (!o) {
    fprintf(stderr, "fixture: cannot write %s\n", path);
    exit(1);
  }
  fputs(text, o);
  fclose(o);
}

/* A 3x3 grid of unit squares, row by row from (0,0): record r*3+c+1 is the
 * square at column c, row r; CODE 101..109. */
static inline void fx_grid(const char *base)
{
  fx f;
  fx_open(&f, base, SHPT_POLYGON);
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 3; c++) fx_square(&f, c, r, 1, 101 + r * 3 + c, "cell");
  fx_close(&f);
}

#endif
