/*
 * 2-D convolution kernels for NHWC float32 tensors as im2col/col2im and OpenBLAS products
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

/* Each returns 0, or -1 when the scratch buffer for the patch matrix cannot be allocated. */
/* out = conv2d(x, filter). */
int conv2d_forward(const ConvGeom *g, const float *x, const float *filter, float *out);
/* dx = the gradient of conv2d with respect to x, from dy [n, oh, ow, f] (also conv2dTranspose's forward). */
int conv2d_backprop_input(const ConvGeom *g, const float *dy, const float *filter, float *dx);
/* dfilter = the gradient of conv2d with respect to the filter, from x and dy. */
int conv2d_backprop_filter(const ConvGeom *g, const float *x, const float *dy, float *dfilter);

/* Depthwise: filter [fh, fw, c, f] with f the channel multiplier; y [n, oh, ow, c f] (output channel
   ci f + q from input channel ci). */
int depthwise_forward(const ConvGeom *g, const float *x, const float *filter, float *out);
int depthwise_backprop_input(const ConvGeom *g, const float *dy, const float *filter, float *dx);
int depthwise_backprop_filter(const ConvGeom *g, const float *x, const float *dy, float *dfilter);

/* CPU time spent in the convolutions' phases, summed over threads (seconds, since the last reset):
   im2col, the products (and the depthwise loops), col2im. For profiling: timing starts with the first call. */
typedef struct {
  double im2col, gemm, col2im;
} ConvTimes;
void conv_times(ConvTimes *out, int reset);

#endif
