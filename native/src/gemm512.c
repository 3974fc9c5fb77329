/*
 * Single-threaded AVX-512 sgemm (see gemm512.h), blocked as GotoBLAS does: for each block of KC
 * rows of op(B), op(B) is packed into strips of NR = 32 columns (zero-padded), then for each block
 * of MC rows of op(A), op(A) is packed into panels of MR = 8 rows (zero-padded), and an 8 x 32
 * micro-kernel (16 accumulators of 16 floats) runs over every panel and strip: per k, two loads of
 * B, eight broadcasts of A and sixteen FMAs. Column tails are stored with masks, row tails row by
 * row. A packed strip (KC x 32) stays in L1, a packed A block (MC x KC) in L2. A transposed op(B)
 * is packed by 16 x 16 register transposes. gemm512_stream packs op(B) one strip at a time instead,
 * or reads an untransposed op(B)'s full strips in place.
 */
#include "gemm512.h"

#include <string.h>

#define MR 8
#define NR 32
#define KC 256
#define MC 128
/* gemm512_stream prefetches the strip this many strips ahead (measured with cold weights, 100x1000
   by 1000x1000 on two threads: 1 strip ~300 GFLOP/s, 2 ~325, 3 no better). */
#define PREFETCH_AHEAD 2
/* A transposed op(B)'s strip (NR rows of B, read whole to be packed) is prefetched this many strips
   ahead (cold weights, 100x1000 by the transpose of 1000x1000 on two threads: none 633-673 us, 1
   strip 588-631, 2 strips 640-648). */
#define PREFETCH_AHEAD_T 1

int64_t gemm512_stream_workspace(int64_t m) { return (int64_t)KC * NR + ((m + MR - 1) / MR) * MR * KC; }

int gemm512_stream_fits(int64_t m, int64_t k) {
  const int64_t kc = k < KC ? k : KC;
  return ((m + MR - 1) / MR) * MR * kc * (int64_t)sizeof(float) <= 512 * 1024;
}

int64_t gemm512_workspace(int64_t n) {
  const int64_t strips = (n + NR - 1) / NR;
  return (int64_t)KC * NR * strips + (int64_t)MC * KC;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

int gemm512_available(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") != 0;
}

/* 1 when the product has nothing to sum (m, n or k zero), C then zeroed unless beta is 1. */
static int empty_product(int64_t m, int64_t n, int64_t k, float beta, float *c, int64_t ldc) {
  if (m == 0 || n == 0) return 1;
  if (k > 0) return 0;
  if (beta == 0.0f)
    for (int64_t i = 0; i < m; i++) memset(c + i * ldc, 0, sizeof(float) * (size_t)n);
  return 1;
}

/* r[0..15] (16 rows of 16 floats) transposed in place. */
__attribute__((target("avx512f"))) static inline void transpose16(__m512 *r) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; i++) {
    t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xDD);
    t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xDD);
  }
  for (int i = 0; i < 8; i++) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
  }
}

/* Packs rows [i0, i0 + mc) and columns [k0, k0 + kc) of op(A) into panels of MR rows: panel p holds,
   for each kk, the MR values of rows i0 + p MR + r (0 past m). Transposed op(A) (A stored k x m):
   each kk's MR values are contiguous, one 8-float copy. Otherwise two panels (16 rows) at a time
   are transposed 16 x 16 in registers, the first panel taking the low halves. */
__attribute__((target("avx512f"))) static void pack_a(int ta, const float *a, int64_t lda, int64_t m, int64_t i0, int64_t mc, int64_t k0, int64_t kc,
                                                      float *ap) {
  int64_t p = 0;
  if (ta) {
    for (; p < mc && i0 + p + MR <= m; p += MR) {
      float *dst = ap + p * kc;
      const float *src = a + k0 * lda + i0 + p;
      for (int64_t kk = 0; kk < kc; kk++) _mm256_storeu_ps(dst + kk * MR, _mm256_loadu_ps(src + kk * lda));
    }
  } else {
    for (; p + 2 * MR <= mc && i0 + p + 2 * MR <= m; p += 2 * MR) {
      float *lo = ap + p * kc, *hi = ap + (p + MR) * kc;
      const float *src = a + (i0 + p) * lda + k0;
      int64_t kk = 0;
      for (; kk + 16 <= kc; kk += 16) {
        __m512 r[16];
        for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(src + i * lda + kk);
        transpose16(r);
        for (int i = 0; i < 16; i++) {
          _mm256_storeu_ps(lo + (kk + i) * MR, _mm512_castps512_ps256(r[i]));
          _mm256_storeu_ps(hi + (kk + i) * MR, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(r[i]), 1)));
        }
      }
      for (; kk < kc; kk++)
        for (int64_t r = 0; r < MR; r++) {
          lo[kk * MR + r] = src[r * lda + kk];
          hi[kk * MR + r] = src[(r + MR) * lda + kk];
        }
    }
  }
  for (; p < mc; p += MR) {
    float *dst = ap + p * kc;
    const int64_t rows = i0 + p + MR <= m ? MR : m - (i0 + p);
    if (ta) {
      for (int64_t kk = 0; kk < kc; kk++) {
        const float *src = a + (k0 + kk) * lda + i0 + p;
        for (int64_t r = 0; r < MR; r++) dst[kk * MR + r] = r < rows ? src[r] : 0.0f;
      }
    } else {
      for (int64_t r = 0; r < MR; r++) {
        if (r >= rows) {
          for (int64_t kk = 0; kk < kc; kk++) dst[kk * MR + r] = 0.0f;
          continue;
        }
        const float *src = a + (i0 + p + r) * lda + k0;
        for (int64_t kk = 0; kk < kc; kk++) dst[kk * MR + r] = src[kk];
      }
    }
  }
}

/* pack_b's transposed case for a full strip (NR columns = NR rows of B), 16 x 16 blocks at a time. */
__attribute__((target("avx512f"))) static void pack_b_t_strip(const float *b, int64_t ldb, int64_t k0, int64_t kc, float *dst) {
  int64_t kk = 0;
  for (; kk + 16 <= kc; kk += 16) {
    for (int h = 0; h < NR; h += 16) {
      __m512 r[16];
      for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(b + (h + i) * ldb + k0 + kk);
      transpose16(r);
      for (int i = 0; i < 16; i++) _mm512_storeu_ps(dst + (kk + i) * NR + h, r[i]);
    }
  }
  for (; kk < kc; kk++)
    for (int64_t j = 0; j < NR; j++) dst[kk * NR + j] = b[j * ldb + k0 + kk];
}

/* Packs rows [k0, k0 + kc) of op(B) into strips of NR columns: strip s holds, for each kk, the NR
   values of columns s NR + j (0 past n). */
static void pack_b(int tb, const float *b, int64_t ldb, int64_t n, int64_t k0, int64_t kc, float *bp) {
  for (int64_t j0 = 0; j0 < n; j0 += NR) {
    float *dst = bp + (j0 / NR) * kc * NR;
    const int64_t cols = j0 + NR <= n ? NR : n - j0;
    if (tb && cols == NR) {
      pack_b_t_strip(b + j0 * ldb, ldb, k0, kc, dst);
    } else if (tb) {
      for (int64_t j = 0; j < NR; j++) {
        if (j >= cols) {
          for (int64_t kk = 0; kk < kc; kk++) dst[kk * NR + j] = 0.0f;
          continue;
        }
        const float *src = b + (j0 + j) * ldb + k0;
        for (int64_t kk = 0; kk < kc; kk++) dst[kk * NR + j] = src[kk];
      }
    } else {
      for (int64_t kk = 0; kk < kc; kk++) {
        const float *src = b + (k0 + kk) * ldb + j0;
        memcpy(dst + kk * NR, src, sizeof(float) * (size_t)cols);
        if (cols < NR) memset(dst + kk * NR + cols, 0, sizeof(float) * (size_t)(NR - cols));
      }
    }
  }
}

/* C[rows x cols] (+)= the product of an MR-row panel and an NR-column strip over kc, the strip's kk-th
   row of NR values at bp + kk ldbp (NR when packed), on R x W accumulators of 16 floats: R rows of
   the panel (8, or 4 for a last panel of at most 4 rows, e.g. the 4 past 96 of a batch of 100) and
   W vectors of the strip (2, or 1 for a last strip of at most 16 columns, e.g. the 8 past 992 of
   1000). Per k: W loads of B, R broadcasts of A, R W FMAs. Each output is the same chain of FMAs
   over k whatever R and W, so the narrow forms give the same bits at about half the cost of a full
   panel or strip mostly of zeros. Inlined with constant R and W, the loops unroll into registers. */
__attribute__((target("avx512f"), always_inline)) static inline void kernel_rw(int64_t kc, const float *ap, const float *bp, int64_t ldbp, float *c,
                                                                               int64_t ldc, int64_t rows, int64_t cols, int accumulate, const int R,
                                                                               const int W) {
  __m512 acc[MR][2];
#pragma GCC unroll 8
  for (int r = 0; r < R; r++)
#pragma GCC unroll 2
    for (int w = 0; w < W; w++) acc[r][w] = _mm512_setzero_ps();
  for (int64_t kk = 0; kk < kc; kk++) {
    __m512 bv[2];
#pragma GCC unroll 2
    for (int w = 0; w < W; w++) bv[w] = _mm512_loadu_ps(bp + kk * ldbp + 16 * w);
#pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
      const __m512 ar = _mm512_set1_ps(ap[kk * MR + r]);
#pragma GCC unroll 2
      for (int w = 0; w < W; w++) acc[r][w] = _mm512_fmadd_ps(ar, bv[w], acc[r][w]);
    }
  }
  const __mmask16 mask[2] = {cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1u),
                             cols >= 32 ? (__mmask16)0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1u) : (__mmask16)0};
#pragma GCC unroll 8
  for (int r = 0; r < R; r++) {
    if (r >= rows) break;
    float *cr = c + r * ldc;
#pragma GCC unroll 2
    for (int w = 0; w < W; w++) {
      if (accumulate) acc[r][w] = _mm512_add_ps(_mm512_maskz_loadu_ps(mask[w], cr + 16 * w), acc[r][w]);
      _mm512_mask_storeu_ps(cr + 16 * w, mask[w], acc[r][w]);
    }
  }
}

__attribute__((target("avx512f"))) static void kernel(int64_t kc, const float *ap, const float *bp, int64_t ldbp, float *c, int64_t ldc, int64_t rows,
                                                      int64_t cols, int accumulate) {
  kernel_rw(kc, ap, bp, ldbp, c, ldc, rows, cols, accumulate, MR, 2);
}

__attribute__((target("avx512f"))) static void kernel4(int64_t kc, const float *ap, const float *bp, int64_t ldbp, float *c, int64_t ldc, int64_t rows,
                                                       int64_t cols, int accumulate) {
  kernel_rw(kc, ap, bp, ldbp, c, ldc, rows, cols, accumulate, 4, 2);
}

__attribute__((target("avx512f"))) static void kernel_x16(int64_t kc, const float *ap, const float *bp, int64_t ldbp, float *c, int64_t ldc, int64_t rows,
                                                          int64_t cols, int accumulate) {
  kernel_rw(kc, ap, bp, ldbp, c, ldc, rows, cols, accumulate, MR, 1);
}

/* The panel's product by the kernel its rows and columns need. */
static inline void panel(int64_t kc, const float *ap, const float *bp, int64_t ldbp, float *c, int64_t ldc, int64_t rows, int64_t cols, int accumulate) {
  if (cols <= 16)
    kernel_x16(kc, ap, bp, ldbp, c, ldc, rows, cols, accumulate);
  else if (rows <= 4)
    kernel4(kc, ap, bp, ldbp, c, ldc, rows, cols, accumulate);
  else
    kernel(kc, ap, bp, ldbp, c, ldc, rows, cols, accumulate);
}

void gemm512(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
             float *ws) {
  if (empty_product(m, n, k, beta, c, ldc)) return;
  const int64_t strips = (n + NR - 1) / NR;
  float *bp = ws;
  float *ap = ws + (int64_t)KC * NR * strips;
  for (int64_t k0 = 0; k0 < k; k0 += KC) {
    const int64_t kc = k0 + KC <= k ? KC : k - k0;
    const int accumulate = k0 > 0 || beta != 0.0f;
    pack_b(tb, b, ldb, n, k0, kc, bp);
    for (int64_t i0 = 0; i0 < m; i0 += MC) {
      const int64_t mc = i0 + MC <= m ? MC : m - i0;
      pack_a(ta, a, lda, m, i0, mc, k0, kc, ap);
      for (int64_t s = 0; s < strips; s++) {
        const int64_t cols = n - s * NR < NR ? n - s * NR : NR;
        for (int64_t p = 0; p < mc; p += MR) {
          const int64_t rows = mc - p < MR ? mc - p : MR;
          panel(kc, ap + p * kc, bp + s * kc * NR, NR, c + (i0 + p) * ldc + s * NR, ldc, rows, cols, accumulate);
        }
      }
    }
  }
}

/* Like gemm512, for products whose packed op(A) for one KC block (m rounded up to MR rows, kc
   columns) fits in L2: op(A) is packed once per KC block, and op(B) one strip at a time right
   before the panels use it, so the packed strip stays in L1 instead of a whole packed block of
   op(B) going out to L2 and back. The sums run in the same order as gemm512's. */
void gemm512_stream(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                    int64_t ldc, float *ws) {
  if (empty_product(m, n, k, beta, c, ldc)) return;
  float *bp = ws;
  float *ap = ws + (int64_t)KC * NR;
  const int64_t mp = ((m + MR - 1) / MR) * MR;
  for (int64_t k0 = 0; k0 < k; k0 += KC) {
    const int64_t kc = k0 + KC <= k ? KC : k - k0;
    const int accumulate = k0 > 0 || beta != 0.0f;
    pack_a(ta, a, lda, m, 0, mp, k0, kc, ap);
    for (int64_t j0 = 0; j0 < n; j0 += NR) {
      const int64_t cols = n - j0 < NR ? n - j0 : NR;
      /* An untransposed full strip is read where it is (its rows are contiguous); others are packed. */
      const int direct = !tb && cols == NR;
      if (!direct) pack_b(tb, tb ? b + j0 * ldb : b + j0, ldb, cols, k0, kc, bp);
      const float *strip = direct ? b + k0 * ldb + j0 : bp;
      const int64_t lds = direct ? ldb : NR;
      /* Read in place, the full strip PREFETCH_AHEAD strips on (past the block's last full strip:
         the next KC block's first ones) is prefetched to L2 a share per panel: a weight matrix
         usually comes from memory, and its stride defeats the hardware's prefetchers. A transposed
         one (a weight matrix in an input gradient) the same way, PREFETCH_AHEAD_T strips on. */
      const int64_t full = n / NR, t = (k0 / KC) * full + j0 / NR + (tb ? PREFETCH_AHEAD_T : PREFETCH_AHEAD);
      const int64_t k0t = full > 0 && (direct || tb) ? (t / full) * KC : k;
      const int64_t kct = k0t + KC <= k ? KC : k - k0t;
      const float *next = k0t < k ? (tb ? b + (t % full) * NR * ldb + k0t : b + k0t * ldb + (t % full) * NR) : NULL;
      const int64_t panels = (m + MR - 1) / MR;
      for (int64_t p = 0; p < m; p += MR) {
        const int64_t rows = m - p < MR ? m - p : MR;
        if (next && tb) {
          /* a transposed strip: NR rows of B, kct values each */
          const int64_t q = p / MR, r1 = NR * (q + 1) / panels;
          for (int64_t r = NR * q / panels; r < r1; r++)
            for (int64_t x = 0; x < kct; x += 16) _mm_prefetch((const char *)(next + r * ldb + x), _MM_HINT_T1);
        } else if (next) {
          const int64_t q = p / MR, r1 = kct * (q + 1) / panels;
          for (int64_t r = kct * q / panels; r < r1; r++) {
            _mm_prefetch((const char *)(next + r * ldb), _MM_HINT_T1);
            _mm_prefetch((const char *)(next + r * ldb + 16), _MM_HINT_T1);
          }
        }
        panel(kc, ap + p * kc, strip, lds, c + p * ldc + j0, ldc, rows, cols, accumulate);
      }
    }
  }
}

/* Columns [j, j + J) of a narrow product's KC block, four panels (32 rows) at a time: 4 J chains of
   fused multiply-adds that share each load of op(A). Inlined with constant J. */
__attribute__((target("avx512f,fma"), always_inline)) static inline void narrow_cols(const float *ap, int64_t mp, int64_t m, int64_t kc, const float *bj,
                                                                                     int64_t step, int64_t jstep, float *c, int64_t ldc, int accumulate,
                                                                                     const int J) {
  for (int64_t p = 0; p < mp; p += 4 * MR) {
    const int64_t np = (mp - p) / MR < 4 ? (mp - p) / MR : 4;
    const float *a0 = ap + p * kc;
    __m256 acc[4][4];
#pragma GCC unroll 4
    for (int q = 0; q < 4; q++)
#pragma GCC unroll 4
      for (int j = 0; j < J; j++) acc[q][j] = _mm256_setzero_ps();
    if (np == 4) {
      for (int64_t kk = 0; kk < kc; kk++) {
        const __m256 a[4] = {_mm256_loadu_ps(a0 + kk * MR), _mm256_loadu_ps(a0 + kc * MR + kk * MR), _mm256_loadu_ps(a0 + 2 * kc * MR + kk * MR),
                             _mm256_loadu_ps(a0 + 3 * kc * MR + kk * MR)};
#pragma GCC unroll 4
        for (int j = 0; j < J; j++) {
          const __m256 bv = _mm256_set1_ps(bj[kk * step + j * jstep]);
#pragma GCC unroll 4
          for (int q = 0; q < 4; q++) acc[q][j] = _mm256_fmadd_ps(a[q], bv, acc[q][j]);
        }
      }
    } else {
      for (int64_t kk = 0; kk < kc; kk++)
#pragma GCC unroll 4
        for (int j = 0; j < J; j++) {
          const __m256 bv = _mm256_set1_ps(bj[kk * step + j * jstep]);
          for (int64_t q = 0; q < np; q++) acc[q][j] = _mm256_fmadd_ps(_mm256_loadu_ps(a0 + q * kc * MR + kk * MR), bv, acc[q][j]);
        }
    }
    for (int64_t q = 0; q < np; q++)
#pragma GCC unroll 4
      for (int j = 0; j < J; j++) {
        float v[MR];
        _mm256_storeu_ps(v, acc[q][j]);
        for (int64_t r = 0; r < MR && p + q * MR + r < m; r++) {
          float *cr = c + (p + q * MR + r) * ldc + j;
          *cr = accumulate ? *cr + v[r] : v[r];
        }
      }
  }
}

/* Products with few columns (n <= GEMM512_NARROW): op(A) packed as gemm512 packs it, then each
   output is the same chain of fused multiply-adds over each KC block (from zero, the block's sum
   added to the earlier blocks'), four panels and up to four columns at a time: the same bits as
   gemm512, without the 32-column strips of which these use one or two columns. */
__attribute__((target("avx512f,fma"))) void gemm512_narrow(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b,
                                                       int64_t ldb, float beta, float *c, int64_t ldc, float *ws) {
  if (empty_product(m, n, k, beta, c, ldc)) return;
  const int64_t mp = ((m + MR - 1) / MR) * MR;
  float *ap = ws;
  for (int64_t k0 = 0; k0 < k; k0 += KC) {
    const int64_t kc = k0 + KC <= k ? KC : k - k0;
    const int accumulate = k0 > 0 || beta != 0.0f;
    pack_a(ta, a, lda, m, 0, mp, k0, kc, ap);
    /* op(B)'s value (kk, j) at bj[kk step + j jstep] */
    const int64_t step = tb ? 1 : ldb, jstep = tb ? ldb : 1;
    for (int64_t j = 0, w; j < n; j += w) {
      const float *bj = tb ? b + j * ldb + k0 : b + k0 * ldb + j;
      w = n - j < 4 ? n - j : 4;
      /* each width its own inlined copy, its loops unrolled */
      if (w == 4) narrow_cols(ap, mp, m, kc, bj, step, jstep, c + j, ldc, accumulate, 4);
      else if (w == 3) narrow_cols(ap, mp, m, kc, bj, step, jstep, c + j, ldc, accumulate, 3);
      else if (w == 2) narrow_cols(ap, mp, m, kc, bj, step, jstep, c + j, ldc, accumulate, 2);
      else narrow_cols(ap, mp, m, kc, bj, step, jstep, c + j, ldc, accumulate, 1);
    }
  }
}

#else

int gemm512_available(void) { return 0; }

/* Never called: gemm512_available() is 0 here. */
void gemm512_narrow(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                    int64_t ldc, float *ws) {
  (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb, (void)beta, (void)c, (void)ldc, (void)ws;
}

/* Never called: gemm512_available() is 0 here. */
void gemm512_stream(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                    int64_t ldc, float *ws) {
  (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb, (void)beta, (void)c, (void)ldc, (void)ws;
}

/* Never called: gemm512_available() is 0 here. */
void gemm512(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc,
             float *ws) {
  (void)ta, (void)tb, (void)m, (void)n, (void)k, (void)a, (void)lda, (void)b, (void)ldb, (void)beta, (void)c, (void)ldc, (void)ws;
}

#endif
