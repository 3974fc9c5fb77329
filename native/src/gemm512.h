/*
 * A single-threaded AVX-512 matrix product (gemm512.c) for the dense layers' and the convolutions'
 * products, used where the CPU has AVX-512: the OpenBLAS that distributions ship picks its AVX2
 * (Haswell) kernels on CPUs it does not know, such as AMD Zen 5, which run these products at about
 * half the speed. denseConfig and convConfig can choose OpenBLAS instead.
 */
#ifndef AAE_GEMM512_H
#define AAE_GEMM512_H

#include <stdint.h>

/* 1 when this CPU (and compiler) can run gemm512. */
int gemm512_available(void);

/* The workspace gemm512 needs for products with n columns, in floats. */
int64_t gemm512_workspace(int64_t n);

/* Row-major C (m x n, ldc) = op(A) op(B) + beta C with beta 0 or 1, where op(A) is m x k (A stored
   k x m when ta) and op(B) is k x n (B stored n x k when tb); ws holds gemm512_workspace(n) floats,
   64-byte aligned. Deterministic: the order of the sums depends only on the sizes. */
void gemm512(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
             float *ws);

/* The workspace gemm512_stream needs for products with m rows, in floats. */
int64_t gemm512_stream_workspace(int64_t m);

/* 1 when gemm512_stream suits a product with m rows and inner size k: the packed op(A) of one
   k block fits in L2 (512 kB), so that it pays to pack op(B) one strip at a time. */
int gemm512_stream_fits(int64_t m, int64_t k);

/* gemm512 with op(A) packed once per k block and op(B) packed one strip at a time right before its
   use (it stays in L1): the same sums in the same order, so the same bits as gemm512. ws holds
   gemm512_stream_workspace(m) floats, 64-byte aligned. */
void gemm512_stream(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                    int64_t ldc, float *ws);

/* Products of at most this many columns suit gemm512_narrow. */
#define GEMM512_NARROW 8

/* gemm512 for products with few columns: the same sums in the same order, so the same bits; ws holds
   gemm512_stream_workspace(m) floats, 64-byte aligned. */
void gemm512_narrow(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                    int64_t ldc, float *ws);

#endif
