/*
 * 2-D convolution kernels for NHWC float32 tensors as im2col/col2im and matrix products
 * (conv.c). The N-API wrappers (aae_native.c) check the arguments before calling these.
 */
#ifndef AAE_CONV_H
#define AAE_CONV_H

#include <stdint.h>

/* A convolution's geometry, as tfjs's computeConv2DInfo gives it: input x [n, h, w, c], filter
   [fh, fw, c, f] (HWIO), output [n, oh, ow, f]; strides sh, sw; dilations dh, dw; the padding
   before the first row and column pt, pl (the padding after them follows from oh and ow). */
typedef struct {
  int64_t n, h, w, c, oh, ow, f, fh, fw, sh, sw, dh, dw, pt, pl;
} ConvGeom;

/* The number of ConvGeom fields, in the order above (the length of the geometry argument). */
#define CONV_GEOM_FIELDS 15

typedef enum { CONV_FORWARD, CONV_INPUT, CONV_FILTER } ConvOp;

/* One convolution, or with depthwise set a depthwise one (filter [fh, fw, c, f] with f the channel
   multiplier; y [n, oh, ow, c f], output channel ci f + q from input channel ci):
     CONV_FORWARD  out = conv2d(a = x, b = filter)
     CONV_INPUT    out = dx, the gradient with respect to x, from a = dy and b = filter (also
                   conv2dTranspose's forward)
     CONV_FILTER   out = dfilter, the gradient with respect to the filter, from a = x and b = dy
   Returns 0, or -1 when a scratch buffer for the patch matrix cannot be allocated. */
int conv_run(const ConvGeom *g, ConvOp op, int depthwise, const float *a, const float *b, float *out);

/* The convolutions' matrix products: CONV_GEMM_AVX512 (gemm512.c; the default where the CPU has
   AVX-512) or CONV_GEMM_OPENBLAS. conv_gemm(kind) chooses one (-1: the default); it returns NULL,
   or why the kind cannot run here. conv_gemm_kind() gives the one in use. */
enum { CONV_GEMM_OPENBLAS = 0, CONV_GEMM_AVX512 = 1 };
const char *conv_gemm(int kind);
int conv_gemm_kind(void);

/* How many workers a convolution runs (at most the OpenBLAS thread count; results do not depend
   on it): CONV_WORKERS_LOAD (the default) fewer when the load average says other jobs occupy the
   cores, CONV_WORKERS_ALL always the thread count, CONV_WORKERS_ONE one. */
enum { CONV_WORKERS_LOAD = 0, CONV_WORKERS_ALL = 1, CONV_WORKERS_ONE = 2 };
void conv_workers(int mode);

/* CPU time spent in the convolutions' phases, summed over threads (seconds, since the last reset):
   im2col, the products (and the depthwise loops), col2im. For profiling: timing starts with the first call. */
typedef struct {
  double im2col, gemm, col2im;
} ConvTimes;
void conv_times(ConvTimes *out, int reset);

#endif
