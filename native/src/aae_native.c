/*
 * aae-lab native kernels (N-API, C11). Every function works in place on Float32Array views that
 * the caller takes of the tfjs wasm heap (backend.typedArrayFromHeap), so no data is copied.
 *
 *   fusedMatMul(a, b, out, batch, m, n, k, transA, transB, strideA, strideB, bias, act, alpha[, seed, keepProb])
 *       out[i] = act(op(a[i]) op(b[i]) + bias) for i < batch, row-major; the product by OpenBLAS
 *       cblas_sgemm. op(a[i]) is m x k (a[i] stored k x m when transA), op(b[i]) is k x n (stored
 *       n x k when transB); strideA/strideB are the element offsets between batch entries (0
 *       broadcasts a batch of one). bias is null or has n or 1 values; act 0 linear, 1 relu,
 *       2 relu6, 3 leakyrelu (slope alpha), 4 sigmoid; then, given seed and keepProb < 1, dropout as
 *       dropoutApply(out, seed, keepProb). The product: the addon's AVX-512 sgemm
 *       (gemm512.c) on a pool of threads where the CPU has AVX-512, else OpenBLAS (denseConfig).
 *   adam(w, g, m, v, lrT, beta1, beta2, epsilon)
 *       m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2;  w -= lrT m / (sqrt(v) + eps)
 *   zigNormal(out, x, std, state, k, w, rare)   Gaussian noise, the common case of lib/random.ts's
 *       ziggurat (see ZigNormal)
 *   biasGrad(dy, out, rows, n)    out[j] = sum over rows of dy[r, j], summed in row order
 *   dropoutApply(x, seed, keepProb)    dropout in place with a counter-based mask (see DropoutApply)
 *   activationGrad(dy, y, out, act, scale)  relu (with dropout's scale) or sigmoid gradient from the output
 *   denseGrad(dy, y, dz, db, rows, n, act, scale)  activationGrad and biasGrad in one pass (see DenseGrad)
 *   conv2d(x, filter, out, geom, bias, act, alpha), conv2dBackpropInput(dy, filter, dx, geom),
 *   conv2dBackpropFilter(x, dy, dfilter, geom), and the same three depthwise: NHWC convolutions and
 *       their gradients (conv.c; see ConvSpec and read_conv)
 *   denseConfig(options)   the dense products' settings {gemm} (see DenseConfigJs)
 *   convConfig(options)   the convolutions' settings {gemm, workers} (see ConvConfigJs)
 *   convTimes(reset)   CPU seconds (all threads) in the convolutions' im2col, products and col2im since
 *       the last reset; timing starts with the first call
 *   setThreads(n), getThreads(), config()  OpenBLAS threading and build string.
 *
 * Element-wise loops run in a fixed order, Adam's on large variables split over the products' pool
 * and a product's bias, activation and dropout done by each pool thread on its own columns, each
 * value computed alone, so the same for any split; gemm512's results do not depend on the
 * thread count, OpenBLAS sgemm's are deterministic for a fixed one, so results repeat exactly for the
 * same inputs and settings.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "conv.h"
#include "gemm512.h"
#include <stdlib.h>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h> /* the vector sigmoid */
#endif

/* Element-wise loops get an AVX2 clone where the compiler and platform support it, chosen at load
   time (GCC/Clang ifunc on x86-64 Linux); the results are the same, as no FMA contraction is allowed. */
#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#define VECTOR_CLONES_512 __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#define VECTOR_CLONES_512
#endif

#define CHECK(call)                                                   \
  do {                                                                \
    if ((call) != napi_ok) {                                          \
      napi_throw_error(env, NULL, "aae-lab-native: N-API call failed"); \
      return NULL;                                                    \
    }                                                                 \
  } while (0)

#define FAIL(msg)                                  \
  do {                                             \
    napi_throw_error(env, NULL, "aae-lab-native: " msg); \
    return NULL;                                   \
  } while (0)

/* Declares argv[N] with the call's arguments; throws unless exactly N were given. */
#define ARGS(N, NAME)                                                    \
  size_t argc = N;                                                       \
  napi_value argv[N];                                                    \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));           \
  if (argc != N) FAIL(NAME " takes " #N " arguments")

/* A typed array argument of the given type: its data pointer (offset included) and length, or 0 on
   a type error. */
static int get_typed(napi_env env, napi_value v, napi_typedarray_type want, void **data, size_t *len) {
  bool is_ta = false;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  napi_typedarray_type type;
  if (napi_get_typedarray_info(env, v, &type, len, data, NULL, NULL) != napi_ok) return 0;
  return type == want;
}

/* A Float32Array argument: its data pointer (offset included) and length, or 0 on a type error. */
static int get_f32(napi_env env, napi_value v, float **data, size_t *len) {
  void *p = NULL;
  if (!get_typed(env, v, napi_float32_array, &p, len)) return 0;
  *data = (float *)p;
  return 1;
}

static int get_i64(napi_env env, napi_value v, int64_t *out) {
  return napi_get_value_int64(env, v, out) == napi_ok;
}

static int get_f64(napi_env env, napi_value v, double *out) {
  return napi_get_value_double(env, v, out) == napi_ok;
}

/* A size or stride argument: a number that is a whole number from 0 to INT_MAX (the largest size
   cblas_sgemm takes); 1 on success. NaN, infinities, fractions, negatives and larger values fail
   (napi_get_value_int64 would truncate 2.5 to 2 and saturate 2^70). */
static int get_size(napi_env env, napi_value v, int64_t *out) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok) return 0;
  if (!(d >= 0 && d <= (double)INT_MAX) || floor(d) != d) return 0;
  *out = (int64_t)d;
  return 1;
}

/* *r = a * b for a, b >= 0; 0 when the product exceeds INT64_MAX. */
static int mul_ok(int64_t a, int64_t b, int64_t *r) {
  if (a != 0 && b > INT64_MAX / a) return 0;
  *r = a * b;
  return 1;
}

/* *r = a + b for a, b >= 0; 0 when the sum exceeds INT64_MAX. */
static int add_ok(int64_t a, int64_t b, int64_t *r) {
  if (b > INT64_MAX - a) return 0;
  *r = a + b;
  return 1;
}

static int get_bool(napi_env env, napi_value v, int *out) {
  bool b = false;
  if (napi_get_value_bool(env, v, &b) != napi_ok) return 0;
  *out = b ? 1 : 0;
  return 1;
}

/* fusedMatMul's product arguments (0-10), checked. */
typedef struct {
  float *a, *b, *out;
  size_t la, lb, lo;
  int64_t batch, m, n, k, sa, sb;
  int ta, tb;
} GemmArgs;

static const char *read_gemm(napi_env env, napi_value *argv, GemmArgs *g) {
  if (!get_f32(env, argv[0], &g->a, &g->la) || !get_f32(env, argv[1], &g->b, &g->lb) ||
      !get_f32(env, argv[2], &g->out, &g->lo))
    return "a, b and out must be Float32Arrays";
  if (!get_bool(env, argv[7], &g->ta) || !get_bool(env, argv[8], &g->tb)) return "aae-lab-native: transA and transB must be booleans";
  if (!get_size(env, argv[3], &g->batch) || !get_size(env, argv[4], &g->m) || !get_size(env, argv[5], &g->n) ||
      !get_size(env, argv[6], &g->k) || !get_size(env, argv[9], &g->sa) || !get_size(env, argv[10], &g->sb))
    return "aae-lab-native: batch, m, n, k, strideA and strideB must be integers from 0 to 2147483647 (INT_MAX)";
  /* Every product and sum checked for overflow before it is compared with the array lengths. */
  int64_t mn, bmn, mk, kn, bm, offa, offb, enda, endb;
  if (!mul_ok(g->m, g->n, &mn) || !mul_ok(g->batch, mn, &bmn) || !mul_ok(g->m, g->k, &mk) || !mul_ok(g->k, g->n, &kn) ||
      !mul_ok(g->batch, g->m, &bm))
    return "aae-lab-native: the sizes' products overflow (out is too small)";
  if ((uint64_t)bmn > (uint64_t)g->lo) return "aae-lab-native: out is too small";
  if (bm > INT_MAX) return "aae-lab-native: batch * m exceeds 2147483647 (INT_MAX)";
  if (g->batch > 0) {
    if (!mul_ok(g->batch - 1, g->sa, &offa) || !add_ok(offa, mk, &enda) || !mul_ok(g->batch - 1, g->sb, &offb) ||
        !add_ok(offb, kn, &endb))
      return "aae-lab-native: the sizes and strides overflow (a or b is too small)";
    if ((uint64_t)enda > (uint64_t)g->la || (uint64_t)endb > (uint64_t)g->lb)
      return "aae-lab-native: a or b is too small for the given sizes and strides";
  }
  return NULL;
}

/* Products of at most SMALL_GEMM multiply-adds and fewer than SMALL_OUT outputs run on one thread:
   splitting them costs more in the hand-off than it saves. One with many outputs but few sums (100x12
   by 12x1000, the discriminator's first layer; an outer product of k 1) is split all the same: its
   time goes to writing the output and the epilogue (bias, activation, dropout), which the threads
   share (in the supervised step, 200x12 by 12x1000 with its epilogue 138-191 us on one thread, 85-109
   on two; 100x2 by 2x1000 63-66 and 40-42). The choice depends on the shape only, so results stay
   deterministic (and a product's values do not depend on its split). A product of at most one
   32-column strip (a code layer's 2 or 20 columns, the discriminator's logit, or their gradients)
   cannot be split by columns: beyond SMALL_GEMM_STRIP multiply-adds it is split by rows (100x12 by
   12x1000 transposed 36 to 28 us, 1000x12 by 12x200 transposed 50 to 26, 100x20 by 20x1000 41 to
   26, 1000x1 by 1x200 28 to 14; below ~100k the hand-off costs more, e.g. 100x32 by 32x32). */
#define SMALL_GEMM 4000000
#define SMALL_OUT 32768
#define SMALL_GEMM_STRIP 150000
/* A product split over the threads with at most this many sums per output (k) is split by rows, not
   by columns: its time goes to writing the output and the epilogue, and threads writing the two
   halves of every row share the cache line where the halves meet (a row of 1000 floats is 62.5
   lines), which then moves between the cores on every write (100x2 by 2x1000 with bias, relu and
   dropout 49 to 18 us, 200x12 by 12x1000 99 to 41). */
#define SMALL_K_ROWS 32

/* The dense products' engine: the addon's own AVX-512 sgemm (gemm512.c) where the CPU has AVX-512,
   else OpenBLAS; denseConfig({gemm}) chooses. gemm512 runs on a small pool of threads, each taking a
   contiguous range of whole 32-column strips of the output, so every output value is summed in the
   same order whatever the thread count: its results do not depend on the threads. */
enum { DENSE_GEMM_OPENBLAS = 0, DENSE_GEMM_AVX512 = 1 };
static int dense_gemm = -1;
#define POOL_MAX 8
#define STRIP 32

static int dense_gemm_kind(void) {
  if (dense_gemm < 0) dense_gemm = gemm512_available() ? DENSE_GEMM_AVX512 : DENSE_GEMM_OPENBLAS;
  return dense_gemm;
}

struct Epilogue;
VECTOR_CLONES_512 static void apply_epilogue_block(const struct Epilogue *e, float *out, size_t r0, size_t r1, size_t ld, size_t c0, size_t c1);
static void apply_epilogue(const struct Epilogue *e, float *out, size_t rows, size_t n);

typedef void (*Gemm512Fn)(int, int, int64_t, int64_t, int64_t, const float *, int64_t, const float *, int64_t, float, float *, int64_t, float *);

typedef struct {
  const GemmArgs *g;
  int64_t cols[POOL_MAX + 1];
  /* One right-hand matrix for a contiguous batch of untransposed left ones: one (batch*m)-row product. */
  int collapse;
  int64_t rows;
  Gemm512Fn product; /* gemm512_narrow for few columns, gemm512_stream where its packed rows fit in L2, else gemm512 */
  const struct Epilogue *epi; /* null: none */
  int by_rows;
  int64_t rows_at[POOL_MAX + 1];
} DenseJob;

/* The parts' ranges, as even as whole units allow: by_rows, rows_at[0..parts] in 8-row panels; else
   cols[0..parts] in STRIP-column strips. */
static void split_parts(DenseJob *j, int parts) {
  const int64_t size = j->by_rows ? j->g->m : j->g->n, unit = j->by_rows ? 8 : STRIP, units = (size + unit - 1) / unit;
  int64_t *at = j->by_rows ? j->rows_at : j->cols;
  for (int p = 0; p <= parts; p++) {
    const int64_t v = (units * p / parts) * unit;
    at[p] = v < size ? v : size;
  }
}

static float *pool_ws[POOL_MAX];
static int64_t pool_ws_len[POOL_MAX];

/* One product's share for pool part p: columns [cols[p], cols[p + 1]) of every batch entry, or for a
   product with a transposed left operand (a weight gradient, x^T dy) rows [rows_at[p], rows_at[p + 1])
   (each part then packs only its own rows of op(A), which the column split packs in every part),
   then their epilogue (bias, activation, dropout, while they are in this thread's cache). Every value
   is the same sum in the same order either way. */
static void dense_part(const DenseJob *j, int p) {
  const GemmArgs *g = j->g;
  const int64_t m = g->m, n = g->n, k = g->k;
  const int64_t lda = g->ta ? m : k, ldb = g->tb ? k : n;
  if (j->by_rows) {
    const int64_t r0 = j->rows_at[p], r1 = j->rows_at[p + 1];
    if (r1 <= r0) return;
    for (int64_t i = 0; i < g->batch; i++) {
      j->product(g->ta, g->tb, r1 - r0, n, k, g->a + i * g->sa + (g->ta ? r0 : r0 * lda), lda, g->b + i * g->sb, ldb, 0.0f,
                 g->out + (i * m + r0) * n, n, pool_ws[p]);
      if (j->epi) apply_epilogue_block(j->epi, g->out, (size_t)(i * m + r0), (size_t)(i * m + r1), (size_t)n, 0, (size_t)n);
    }
    return;
  }
  const int64_t n0 = j->cols[p], n1 = j->cols[p + 1];
  if (n1 <= n0) return;
  const int64_t boff = g->tb ? n0 * ldb : n0;
  if (j->collapse) {
    j->product(0, g->tb, j->rows, n1 - n0, k, g->a, lda, g->b + boff, ldb, 0.0f, g->out + n0, n, pool_ws[p]);
  } else {
    for (int64_t i = 0; i < g->batch; i++)
      j->product(g->ta, g->tb, m, n1 - n0, k, g->a + i * g->sa, lda, g->b + i * g->sb + boff, ldb, 0.0f, g->out + i * m * n + n0, n,
                 pool_ws[p]);
  }
  if (j->epi) apply_epilogue_block(j->epi, g->out, 0, (size_t)(g->batch * m), (size_t)n, (size_t)n0, (size_t)n1);
}

/* The pool: workers 1..POOL_MAX-1 wait for a new generation, take their part of the job, run it and
   report. The hand-off takes no lock: the caller publishes the job and then its generation g; a
   worker spinning on the generation takes its part p by an atomic exchange of pool_claim[p] from
   "g open" to "g taken", runs it and stores g in pool_done[p]. The caller, done with its own part
   0, takes every part still open and runs it itself (a worker preempted or slow to wake then finds
   its part gone and skips it; the caller does not wait for it), and waits only for the parts the
   workers took. A thread spins for a while (POOL_SPIN_US) before it sleeps (a worker on pool_go,
   the caller on pool_done); the mutex and condition variables serve only those sleeps, each
   announced in a counter and re-checked under the mutex, so no wake-up is lost. Measured in the
   supervised step (~30 pool jobs a step), a hand-off through the mutex made the second thread start
   60 us late on average (a spinning worker blocked on the mutex the caller held; a sleeping thread
   of this VM takes 30-60 us, sometimes over a millisecond, to wake). Which thread runs a part does
   not change its values: a part is the same computation on its own workspace (pool_ws[p]). */
typedef void (*PoolFn)(const void *job, int part);
static pthread_mutex_t pool_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pool_go = PTHREAD_COND_INITIALIZER, pool_done_cv = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t dense_lock = PTHREAD_MUTEX_INITIALIZER; /* one pool job at a time */
static int pool_started = 1; /* threads running, the caller counted */
/* Atomics: the job's generation (published after the job); per part, 2 g while open in job g and
   2 g + 1 once taken; the last generation each worker finished its part of; sleepers on pool_go;
   whether the caller sleeps on pool_done_cv. The job (pool_fn, pool_arg) is read only by a worker
   that took a part of it, and the caller does not change it before that part is done. */
static uint64_t pool_gen = 0;
static uint64_t pool_claim[POOL_MAX], pool_done[POOL_MAX];
static int pool_sleepers = 0, pool_caller_asleep = 0;
static PoolFn pool_fn = NULL;
static const void *pool_arg = NULL;
/* How long a thread spins before it sleeps: longer than the gaps between consecutive products of a
   training step (JavaScript between kernels, tens to hundreds of microseconds). */
#define POOL_SPIN_US 2000

static uint64_t pool_start_gen[POOL_MAX]; /* the generation a worker was started in */

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static double pool_clock_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec * 1e-3;
}

/* Spins until (*v == x) is `equal` (as long as POOL_SPIN_US); returns whether it is. */
static int pool_spin(const uint64_t *v, uint64_t x, int equal) {
  const double end = pool_clock_us() + POOL_SPIN_US;
  for (;;) {
    for (int i = 0; i < 64; i++) {
      if ((__atomic_load_n(v, __ATOMIC_ACQUIRE) == x) == equal) return 1;
      cpu_relax();
    }
    if (pool_clock_us() > end) return 0;
  }
}

/* Takes part p of job g if it is still open. */
static int pool_take(int p, uint64_t g) {
  uint64_t open = 2 * g;
  return __atomic_compare_exchange_n(&pool_claim[p], &open, 2 * g + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void *pool_worker(void *arg) {
  const int p = (int)(intptr_t)arg;
  pthread_mutex_lock(&pool_mu);
  uint64_t seen = pool_start_gen[p];
  pthread_mutex_unlock(&pool_mu);
  for (;;) {
    if (!pool_spin(&pool_gen, seen, 0)) {
      pthread_mutex_lock(&pool_mu);
      __atomic_add_fetch(&pool_sleepers, 1, __ATOMIC_SEQ_CST);
      while (__atomic_load_n(&pool_gen, __ATOMIC_SEQ_CST) == seen) pthread_cond_wait(&pool_go, &pool_mu);
      __atomic_sub_fetch(&pool_sleepers, 1, __ATOMIC_SEQ_CST);
      pthread_mutex_unlock(&pool_mu);
    }
    const uint64_t g = __atomic_load_n(&pool_gen, __ATOMIC_ACQUIRE);
    seen = g;
    if (!pool_take(p, g)) continue; /* not part of this job, or the caller took it */
    pool_fn(pool_arg, p);
    __atomic_store_n(&pool_done[p], g, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&pool_caller_asleep, __ATOMIC_SEQ_CST)) {
      pthread_mutex_lock(&pool_mu);
      pthread_cond_broadcast(&pool_done_cv);
      pthread_mutex_unlock(&pool_mu);
    }
  }
  return NULL;
}

/* Starts pool threads until `parts` run (the caller counted); returns how many parts can run. Called
   with dense_lock held. */
static int pool_reserve(int parts) {
  while (pool_started < parts) {
    pthread_t t;
    pthread_mutex_lock(&pool_mu);
    const int p = pool_started;
    pool_start_gen[p] = __atomic_load_n(&pool_gen, __ATOMIC_ACQUIRE);
    pthread_mutex_unlock(&pool_mu);
    if (pthread_create(&t, NULL, pool_worker, (void *)(intptr_t)p) != 0) break;
    pthread_detach(t);
    pool_started++;
  }
  return parts < pool_started ? parts : pool_started;
}

/* Runs fn(job, p) for p < parts, part 0 on the caller's thread; parts <= pool_reserve's answer.
   Called with dense_lock held (one job at a time). */
static void pool_run(PoolFn fn, const void *job, int parts) {
  if (parts <= 1) {
    fn(job, 0);
    return;
  }
  const uint64_t g = __atomic_load_n(&pool_gen, __ATOMIC_RELAXED) + 1;
  pool_fn = fn;
  pool_arg = job;
  for (int p = 1; p < parts; p++) __atomic_store_n(&pool_claim[p], 2 * g, __ATOMIC_RELAXED);
  __atomic_store_n(&pool_gen, g, __ATOMIC_SEQ_CST); /* publishes the job (release) */
  if (__atomic_load_n(&pool_sleepers, __ATOMIC_SEQ_CST) > 0) {
    pthread_mutex_lock(&pool_mu);
    pthread_cond_broadcast(&pool_go);
    pthread_mutex_unlock(&pool_mu);
  }
  fn(job, 0);
  int mine[POOL_MAX] = {0};
  for (int p = 1; p < parts; p++)
    if ((mine[p] = pool_take(p, g))) fn(job, p);
  for (int p = 1; p < parts; p++) {
    if (mine[p] || pool_spin(&pool_done[p], g, 1)) continue;
    pthread_mutex_lock(&pool_mu);
    __atomic_store_n(&pool_caller_asleep, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&pool_done[p], __ATOMIC_SEQ_CST) != g) pthread_cond_wait(&pool_done_cv, &pool_mu);
    __atomic_store_n(&pool_caller_asleep, 0, __ATOMIC_SEQ_CST);
    pthread_mutex_unlock(&pool_mu);
  }
}

static void dense_pool_part(const void *job, int p) { dense_part((const DenseJob *)job, p); }

/* The product and its epilogue (or null) on `parts` threads; 0 on success, -1 when a workspace
   cannot be allocated. */
static int dense_run(const GemmArgs *g, int parts, const struct Epilogue *epi) {
  const int64_t strips = (g->n + STRIP - 1) / STRIP, panels = (g->m + 7) / 8;
  DenseJob j;
  j.g = g;
  j.epi = epi;
  j.collapse = g->batch > 1 && g->sb == 0 && !g->ta && g->sa == g->m * g->k;
  j.rows = j.collapse ? g->batch * g->m : g->m;
  const int narrow = g->n <= GEMM512_NARROW;
  const int stream = narrow || gemm512_stream_fits(j.rows, g->k);
  j.product = narrow ? gemm512_narrow : stream ? gemm512_stream : gemm512;
  /* A weight gradient's product (transposed left operand, many rows) splits its rows, and so do a
     product of a single strip (its columns cannot be split) and one of few sums (SMALL_K_ROWS). */
  j.by_rows = parts > 1 && ((g->ta && !narrow && g->m >= 128 * (int64_t)parts) || ((strips == 1 || g->k <= SMALL_K_ROWS) && panels >= 2 * (int64_t)parts));
  if (parts > (j.by_rows ? panels : strips)) parts = (int)(j.by_rows ? panels : strips);
  if (parts < 1) parts = 1;
  split_parts(&j, parts);
  const int64_t plain = gemm512_workspace(j.by_rows ? g->n : STRIP * ((strips + parts - 1) / parts) + STRIP);
  const int64_t need = stream && gemm512_stream_workspace(j.rows) > plain ? gemm512_stream_workspace(j.rows) : plain;
  pthread_mutex_lock(&dense_lock);
  const int running = pool_reserve(parts);
  if (running < parts) { /* a thread could not be started: split over those there are */
    parts = running;
    split_parts(&j, parts);
  }
  for (int p = 0; p < parts; p++) {
    if (pool_ws_len[p] < need) {
      free(pool_ws[p]);
      pool_ws[p] = aligned_alloc(64, (size_t)(((need * sizeof(float)) + 63) / 64 * 64));
      pool_ws_len[p] = pool_ws[p] ? need : 0;
      if (!pool_ws[p]) {
        pthread_mutex_unlock(&dense_lock);
        return -1;
      }
    }
  }
  pool_run(dense_pool_part, &j, parts);
  pthread_mutex_unlock(&dense_lock);
  return 0;
}

static void run_gemm_threads(const GemmArgs *g);

/* The product and its epilogue (or null); 0 on success, -1 when out of memory (the AVX-512 path's
   workspace). */
static int run_gemm(const GemmArgs *g, const struct Epilogue *epi) {
  const int threads = openblas_get_num_threads();
  const int64_t macs = g->batch * g->m * g->n * g->k;
  const int small = macs <= SMALL_GEMM && g->batch * g->m * g->n < SMALL_OUT;
  if (g->batch == 0 || g->m == 0 || g->n == 0) return 0;
  if (g->k == 0) {
    memset(g->out, 0, sizeof(float) * (size_t)(g->batch * g->m * g->n));
  } else if (dense_gemm_kind() == DENSE_GEMM_AVX512) {
    const int parts = (g->n <= STRIP ? macs <= SMALL_GEMM_STRIP : small) ? 1 : (threads < POOL_MAX ? threads : POOL_MAX);
    return dense_run(g, parts, epi);
  } else if (threads > 1 && small) {
    openblas_set_num_threads(1);
    run_gemm_threads(g);
    openblas_set_num_threads(threads);
  } else {
    run_gemm_threads(g);
  }
  if (epi) apply_epilogue(epi, g->out, (size_t)(g->batch * g->m), (size_t)g->n);
  return 0;
}

static void run_gemm_threads(const GemmArgs *g) {
  const int64_t m = g->m, n = g->n, k = g->k;
  const enum CBLAS_TRANSPOSE ta = g->ta ? CblasTrans : CblasNoTrans;
  const enum CBLAS_TRANSPOSE tb = g->tb ? CblasTrans : CblasNoTrans;
  const int lda = g->ta ? (int)m : (int)k;
  const int ldb = g->tb ? (int)k : (int)n;
  /* One right-hand matrix for a contiguous batch of untransposed left ones: a single product of
     (batch*m) x k by k x n. */
  if (g->batch > 1 && g->sb == 0 && !g->ta && g->sa == m * k) {
    cblas_sgemm(CblasRowMajor, ta, tb, (int)(g->batch * m), (int)n, (int)k, 1.0f, g->a, lda, g->b, ldb, 0.0f,
                g->out, (int)n);
    return;
  }
  for (int64_t i = 0; i < g->batch; i++) {
    cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, 1.0f, g->a + i * g->sa, lda, g->b + i * g->sb, ldb,
                0.0f, g->out + i * m * n, (int)n);
  }
}

enum { ACT_LINEAR = 0, ACT_RELU = 1, ACT_RELU6 = 2, ACT_LEAKY = 3, ACT_SIGMOID = 4 };

/* A product's epilogue: a bias (null, or n or 1 values) and an activation code with its alpha. */
/* Dropout's counter-based mask of a seed and keep probability (see DropoutApply). */
typedef struct {
  uint32_t k1, k2, thr;
  float scale;
} DropoutMask;

static DropoutMask dropout_mask(uint32_t seed, double keep);

typedef struct Epilogue {
  /* dropout after the activation (fusedMatMul's optional seed and keepProb, as dropoutApply) */
  int dropout;
  DropoutMask mask;
  float *bias;
  size_t lbias;
  int64_t act;
  float alpha;
} Epilogue;

/* Reads the epilogue arguments argv[0..2] (bias, act, alpha) for rows of n values; NULL or the error. */
static const char *read_epilogue(napi_env env, napi_value *argv, int64_t n, Epilogue *e) {
  e->dropout = 0;
  e->bias = NULL;
  e->lbias = 0;
  napi_valuetype bt;
  if (napi_typeof(env, argv[0], &bt) != napi_ok) return "aae-lab-native: N-API call failed";
  if (bt != napi_null && bt != napi_undefined) {
    if (!get_f32(env, argv[0], &e->bias, &e->lbias)) return "aae-lab-native: bias must be a Float32Array or null";
    if (e->lbias != (size_t)n && e->lbias != 1) return "aae-lab-native: bias must have n values or one";
  }
  double alpha;
  if (!get_i64(env, argv[1], &e->act) || !get_f64(env, argv[2], &alpha)) return "aae-lab-native: act and alpha must be numbers";
  if (e->act < ACT_LINEAR || e->act > ACT_SIGMOID) return "aae-lab-native: unknown activation code";
  e->alpha = (float)alpha;
  return NULL;
}

static void dropout_loop(float *restrict x, uint32_t begin, uint32_t end, const DropoutMask *mask);

/* The sigmoid epilogue, 1 / (1 + expf(-x)), sixteen values at a time where the CPU has AVX-512 (DQ):
   expf as the C library's (glibc 2.28 and later: x = (k + r) ln2 / 32 in double precision, 2^(k/32)
   from a 32-entry table, a cubic in r), written out with the multiply-adds its FMA build uses, so
   the same bits as that expf on every input below 88 in magnitude (checked on all of them); larger
   inputs and NaN go to expf itself. A scalar expf loop took 70-100 us of a 100x784 product. */
static uint64_t exp_table[32]; /* the double nearest 2^(i/32), as bits, minus i << 47 */
static int sigmoid_avx512 = -1;

static void sigmoid_init(void) {
  for (int i = 0; i < 32; i++) {
    const double d = (double)exp2l(i / 32.0L);
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    exp_table[i] = u - ((uint64_t)i << 47);
  }
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  sigmoid_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
#else
  sigmoid_avx512 = 0;
#endif
}

static void sigmoid_scalar(float *o, size_t n) {
  for (size_t j = 0; j < n; j++) o[j] = 1.0f / (1.0f + expf(-o[j]));
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx512f,avx512dq"))) static void sigmoid_vector(float *o, size_t n) {
  const __m512d invln2n = _mm512_set1_pd(0x1.71547652b82fep+0 * 32), shift = _mm512_set1_pd(0x1.8p+52), one = _mm512_set1_pd(1.0);
  const __m512d c0 = _mm512_set1_pd(0x1.c6af84b912394p-5 / 32 / 32 / 32), c1 = _mm512_set1_pd(0x1.ebfce50fac4f3p-3 / 32 / 32),
                c2 = _mm512_set1_pd(0x1.62e42ff0c52d6p-1 / 32);
  size_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m512 x = _mm512_xor_ps(_mm512_loadu_ps(o + j), _mm512_set1_ps(-0.0f)); /* -o */
    const __m512i top = _mm512_and_si512(_mm512_srli_epi32(_mm512_castps_si512(x), 20), _mm512_set1_epi32(0x7ff));
    const __mmask16 special = _mm512_cmpge_epu32_mask(top, _mm512_set1_epi32(0x42b)); /* |x| >= 88, or NaN */
    __m256 e[2];
    for (int h = 0; h < 2; h++) {
      const __m512d xd = _mm512_cvtps_pd(h ? _mm512_extractf32x8_ps(x, 1) : _mm512_castps512_ps256(x));
      __m512d kd = _mm512_add_pd(_mm512_mul_pd(invln2n, xd), shift);
      const __m512i ki = _mm512_castpd_si512(kd);
      kd = _mm512_sub_pd(kd, shift);
      const __m512d r = _mm512_fmsub_pd(invln2n, xd, kd);
      const __m512i t = _mm512_add_epi64(_mm512_i64gather_epi64(_mm512_and_si512(ki, _mm512_set1_epi64(31)), (const long long *)exp_table, 8),
                                         _mm512_slli_epi64(ki, 47));
      const __m512d poly = _mm512_fmadd_pd(_mm512_fmadd_pd(c0, r, c1), _mm512_mul_pd(r, r), _mm512_fmadd_pd(c2, r, one));
      e[h] = _mm512_cvtpd_ps(_mm512_mul_pd(poly, _mm512_castsi512_pd(t)));
    }
    __m512 ex = _mm512_insertf32x8(_mm512_castps256_ps512(e[0]), e[1], 1);
    if (special) {
      float xs[16], es[16];
      _mm512_storeu_ps(xs, x);
      _mm512_storeu_ps(es, ex);
      for (int i = 0; i < 16; i++)
        if (special >> i & 1) es[i] = expf(xs[i]);
      ex = _mm512_loadu_ps(es);
    }
    _mm512_storeu_ps(o + j, _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), ex)));
  }
  sigmoid_scalar(o + j, n - j);
}
#else
static void sigmoid_vector(float *o, size_t n) { sigmoid_scalar(o, n); }
#endif

/* Rows [r0, r1) and columns [c0, c1) of out (row-major, ld per row) = drop(act(out + bias)), in
   place, drop with the mask of out's flat index (dropoutApply's). */
VECTOR_CLONES_512
static void apply_epilogue_block(const Epilogue *e, float *out, size_t r0, size_t r1, size_t ld, size_t c0, size_t c1) {
  const float *bias = e->bias;
  const float al = e->alpha;
  if (!bias && e->act == ACT_LINEAR && !e->dropout) return;
  for (size_t r = r0; r < r1; r++) {
    float *o = out + r * ld;
    if (bias) {
      if (e->lbias == 1)
        for (size_t j = c0; j < c1; j++) o[j] += bias[0];
      else
        for (size_t j = c0; j < c1; j++) o[j] += bias[j];
    }
    switch (e->act) {
      case ACT_RELU:
        for (size_t j = c0; j < c1; j++) o[j] = o[j] > 0.0f ? o[j] : 0.0f;
        break;
      case ACT_RELU6:
        for (size_t j = c0; j < c1; j++) o[j] = o[j] > 0.0f ? (o[j] < 6.0f ? o[j] : 6.0f) : 0.0f;
        break;
      case ACT_LEAKY:
        for (size_t j = c0; j < c1; j++) o[j] = o[j] < 0.0f ? al * o[j] : o[j];
        break;
      case ACT_SIGMOID:
        (sigmoid_avx512 ? sigmoid_vector : sigmoid_scalar)(o + c0, c1 - c0);
        break;
      default:
        break;
    }
    if (e->dropout) dropout_loop(out, (uint32_t)(r * ld + c0), (uint32_t)(r * ld + c1), &e->mask);
  }
}

/* out (rows x n, row-major) = act(out + bias), in place. */
static void apply_epilogue(const Epilogue *e, float *out, size_t rows, size_t n) { apply_epilogue_block(e, out, 0, rows, n, 0, n); }

static napi_value FusedMatMul(napi_env env, napi_callback_info info) {
  size_t argc = 16;
  napi_value argv[16];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 14 && argc != 16) FAIL("fusedMatMul takes 14 arguments, or 16 with dropout's seed and keepProb");
  GemmArgs g;
  Epilogue e;
  const char *err = read_gemm(env, argv, &g);
  if (!err) err = read_epilogue(env, argv + 11, g.n, &e);
  if (err) {
    napi_throw_error(env, NULL, err);
    return NULL;
  }
  if (argc == 16) {
    int64_t seed;
    double keep;
    if (!get_i64(env, argv[14], &seed) || seed < 0 || seed > 0xffffffffLL) FAIL("fusedMatMul: seed must be an integer in [0, 2^32)");
    if (!get_f64(env, argv[15], &keep) || !(keep > 0 && keep <= 1)) FAIL("fusedMatMul: keepProb must be in (0, 1]");
    if (keep < 1) {
      if (g.batch * g.m * g.n > 0xffffffffLL) FAIL("fusedMatMul: the output is too long for dropout");
      e.dropout = 1;
      e.mask = dropout_mask((uint32_t)seed, keep);
    }
  }
  if (run_gemm(&g, e.bias || e.act != ACT_LINEAR || e.dropout ? &e : NULL) != 0) FAIL("out of memory for a matrix product's workspace");
  return NULL;
}

typedef struct {
  float *w, *g, *m, *v;
  size_t begin, end;
  float lr, b1, b2, eps, c1, c2;
} AdamPart;

VECTOR_CLONES_512
static void adam_loop(const AdamPart *p) {
  float *restrict w = p->w, *restrict m = p->m, *restrict v = p->v;
  const float *restrict g = p->g;
  for (size_t i = p->begin; i < p->end; i++) {
    const float gi = g[i];
    const float mi = p->b1 * m[i] + p->c1 * gi;
    const float vi = p->b2 * v[i] + p->c2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    w[i] -= (p->lr * mi) / (sqrtf(vi) + p->eps);
  }
}

/* Variables of at least this many values are split over the pool's threads (as many as OpenBLAS
   has), in contiguous ranges of whole 16-value blocks; element-wise, so the result is the same. */
#define ADAM_SPLIT (1 << 16)

typedef struct {
  AdamPart whole;
  int parts;
} AdamJob;

static void adam_pool_part(const void *job, int p) {
  const AdamJob *j = (const AdamJob *)job;
  AdamPart part = j->whole;
  const size_t blocks = (j->whole.end + 15) / 16;
  part.begin = blocks * (size_t)p / (size_t)j->parts * 16;
  const size_t end = blocks * (size_t)(p + 1) / (size_t)j->parts * 16;
  part.end = end < j->whole.end ? end : j->whole.end;
  if (part.begin < part.end) adam_loop(&part);
}

static napi_value Adam(napi_env env, napi_callback_info info) {
  ARGS(8, "adam");
  float *w, *g, *m, *v;
  size_t lw, lg, lm, lv;
  if (!get_f32(env, argv[0], &w, &lw) || !get_f32(env, argv[1], &g, &lg) || !get_f32(env, argv[2], &m, &lm) ||
      !get_f32(env, argv[3], &v, &lv))
    FAIL("adam: w, g, m, v must be Float32Arrays");
  if (lg != lw || lm != lw || lv != lw) FAIL("adam: w, g, m, v must have the same length");
  double lr, b1, b2, eps;
  if (!get_f64(env, argv[4], &lr) || !get_f64(env, argv[5], &b1) || !get_f64(env, argv[6], &b2) ||
      !get_f64(env, argv[7], &eps))
    FAIL("adam: lrT, beta1, beta2, epsilon must be numbers");
  AdamJob job = {{w, g, m, v, 0, lw, (float)lr, (float)b1, (float)b2, (float)eps, (float)(1.0 - b1), (float)(1.0 - b2)}, 1};
  if (lw < ADAM_SPLIT) {
    adam_loop(&job.whole);
    return NULL;
  }
  const int threads = openblas_get_num_threads();
  pthread_mutex_lock(&dense_lock);
  job.parts = pool_reserve(threads < POOL_MAX ? threads : POOL_MAX);
  pool_run(adam_pool_part, &job, job.parts);
  pthread_mutex_unlock(&dense_lock);
  return NULL;
}

static napi_value BiasGrad(napi_env env, napi_callback_info info) {
  ARGS(4, "biasGrad");
  float *dy, *out;
  size_t ld, lo;
  int64_t rows, n;
  if (!get_f32(env, argv[0], &dy, &ld) || !get_f32(env, argv[1], &out, &lo)) FAIL("biasGrad: dy, out must be Float32Arrays");
  if (!get_size(env, argv[2], &rows) || !get_size(env, argv[3], &n))
    FAIL("biasGrad: rows and n must be integers from 0 to 2147483647 (INT_MAX)");
  int64_t rn;
  if (!mul_ok(rows, n, &rn) || (uint64_t)rn > (uint64_t)ld || (uint64_t)n > (uint64_t)lo) FAIL("biasGrad: arrays too small (size)");
  for (int64_t j = 0; j < n; j++) out[j] = 0.0f;
  for (int64_t r = 0; r < rows; r++) {
    const float *d = dy + r * n;
    for (int64_t j = 0; j < n; j++) out[j] += d[j];
  }
  return NULL;
}

/* ---- The reconstruction loss (lib/backend/kernels.ts's AaeMse and AaeMseGrad), in double precision. */

/* mseSum(pred, target): the sum of (pred[i] - target[i])^2 in double precision, as eight partial sums
   (element i in sum i mod 8) added in order at the end: one running sum is a chain of dependent
   additions (~95 us for a batch of 100 images); the loss is only reported, never differentiated. */
static napi_value MseSum(napi_env env, napi_callback_info info) {
  ARGS(2, "mseSum");
  float *p, *t;
  size_t lp, lt;
  if (!get_f32(env, argv[0], &p, &lp) || !get_f32(env, argv[1], &t, &lt)) FAIL("mseSum: pred, target must be Float32Arrays");
  if (lt != lp) FAIL("mseSum: pred and target must have the same length");
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0;
  for (; i + 8 <= lp; i += 8)
    for (int l = 0; l < 8; l++) {
      const double d = (double)p[i + l] - (double)t[i + l];
      acc[l] += d * d;
    }
  for (int l = 0; i < lp; i++, l++) {
    const double d = (double)p[i] - (double)t[i];
    acc[l] += d * d;
  }
  double sum = 0;
  for (int l = 0; l < 8; l++) sum += acc[l];
  napi_value out;
  CHECK(napi_create_double(env, sum, &out));
  return out;
}

VECTOR_CLONES_512
static void mse_grad_loop(const float *restrict p, const float *restrict t, float *restrict out, size_t n, double c) {
  for (size_t i = 0; i < n; i++) out[i] = (float)(c * ((double)p[i] - (double)t[i]));
}

/* mseGrad(pred, target, out, c): out[i] = float32(c (pred[i] - target[i])), in double as JavaScript
   computes it (the same bits). */
static napi_value MseGrad(napi_env env, napi_callback_info info) {
  ARGS(4, "mseGrad");
  float *p, *t, *o;
  size_t lp, lt, lo;
  if (!get_f32(env, argv[0], &p, &lp) || !get_f32(env, argv[1], &t, &lt) || !get_f32(env, argv[2], &o, &lo))
    FAIL("mseGrad: pred, target, out must be Float32Arrays");
  if (lt != lp || lo != lp) FAIL("mseGrad: pred, target and out must have the same length");
  double c;
  if (!get_f64(env, argv[3], &c)) FAIL("mseGrad: c must be a number");
  mse_grad_loop(p, t, o, lp, c);
  return NULL;
}

/* ---- Gaussian noise: the common case of lib/random.ts's ziggurat (zigFast), the same bits. */

VECTOR_CLONES
static uint32_t zig_loop(float *restrict out, const float *restrict x, uint32_t n, double std, int32_t *st, const int32_t *zk, const double *zw,
                         int32_t *restrict rare) {
  uint32_t a = (uint32_t)st[0], b = (uint32_t)st[1], c = (uint32_t)st[2], d = (uint32_t)st[3], nr = 0;
  for (uint32_t i = 0; i < n; i++) {
    const uint32_t u = a + b + d; /* sfc32, as Rng.nextUint32 */
    d += 1;
    a = b ^ (b >> 9);
    b = c + (c << 3);
    c = (c << 21) | (c >> 11);
    c += u;
    const uint32_t layer = u & 127;
    const int32_t hz = (int32_t)u >> 7;
    if ((hz < 0 ? -hz : hz) < zk[layer])
      out[i] = (float)((double)x[i] + std * ((double)hz * zw[layer]));
    else {
      rare[2 * nr] = (int32_t)i;
      rare[2 * nr + 1] = (int32_t)u;
      nr++;
    }
  }
  st[0] = (int32_t)a;
  st[1] = (int32_t)b;
  st[2] = (int32_t)c;
  st[3] = (int32_t)d;
  return nr;
}

/* zigNormal(out, x, std, state, k, w, rare): for each i, a draw u of sfc32 on state (four int32, updated);
   inside the ziggurat box of its layer (|u >> 7| < k[u & 127]) out[i] = float32(x[i] + std (u >> 7)
   w[u & 127]) in double arithmetic, as JavaScript computes it; else the pair (i, u) goes to rare
   (2 n int32). Returns the number of pairs; lib/random.ts finishes them. */
static napi_value ZigNormal(napi_env env, napi_callback_info info) {
  ARGS(7, "zigNormal");
  float *out, *x;
  size_t lo, lx, ls, lk, lw, lr;
  void *st, *zk, *zw, *rare;
  double std;
  if (!get_f32(env, argv[0], &out, &lo) || !get_f32(env, argv[1], &x, &lx)) FAIL("zigNormal: out and x must be Float32Arrays");
  if (!get_f64(env, argv[2], &std)) FAIL("zigNormal: std must be a number");
  if (!get_typed(env, argv[3], napi_int32_array, &st, &ls) || ls != 4) FAIL("zigNormal: state must be an Int32Array of 4");
  if (!get_typed(env, argv[4], napi_int32_array, &zk, &lk) || lk != 128 || !get_typed(env, argv[5], napi_float64_array, &zw, &lw) ||
      lw != 128)
    FAIL("zigNormal: k must be an Int32Array and w a Float64Array of 128");
  if (!get_typed(env, argv[6], napi_int32_array, &rare, &lr)) FAIL("zigNormal: rare must be an Int32Array");
  if (lx < lo || lr < 2 * lo || lo > UINT32_MAX) FAIL("zigNormal: x or rare too small for out");
  const uint32_t nr = zig_loop(out, x, (uint32_t)lo, std, (int32_t *)st, (const int32_t *)zk, (const double *)zw, (int32_t *)rare);
  napi_value r;
  CHECK(napi_create_uint32(env, nr, &r));
  return r;
}

/* ---- Dropout: a counter-based keep mask, the same as dropoutMask in lib/nn/layers.ts computes in JavaScript. */

/* Chris Wellons's lowbias32 integer hash (a bijection of 32-bit values). */
static inline uint32_t hash32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352du;
  x ^= x >> 15;
  x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

static DropoutMask dropout_mask(uint32_t seed, double keep) {
  const uint32_t k1 = hash32(seed + 0x9e3779b9u);
  return (DropoutMask){k1, hash32(k1 + 0x9e3779b9u), (uint32_t)floor(keep * 16777216.0), 1.0f / (float)keep};
}

VECTOR_CLONES_512
static void dropout_loop(float *restrict x, uint32_t begin, uint32_t end, const DropoutMask *mask) {
  const uint32_t k1 = mask->k1, k2 = mask->k2, thr = mask->thr;
  const float scale = mask->scale;
  for (uint32_t i = begin; i < end; i++) {
    const uint32_t h = hash32(hash32(i ^ k1) + k2);
    x[i] *= (h >> 8) < thr ? scale : 0.0f; /* a select, not a branch: the loop vectorises */
  }
}


/* dropoutApply(x, seed, keepProb): x[i] *= (keep_i ? float32(1 / keepProb) : 0), in place, where
   keep_i = (h_i >> 8) < floor(keepProb 2^24), h_i = hash32(hash32(i ^ k1) + k2), k1 = hash32(seed +
   0x9e3779b9), k2 = hash32(k1 + 0x9e3779b9) (all mod 2^32). Each value depends only on the seed and
   its index, so the loop has no dependency chain and vectorises. */
static napi_value DropoutApply(napi_env env, napi_callback_info info) {
  ARGS(3, "dropoutApply");
  float *x;
  size_t lx;
  if (!get_f32(env, argv[0], &x, &lx)) FAIL("dropoutApply: x must be a Float32Array");
  int64_t seed;
  if (!get_i64(env, argv[1], &seed) || seed < 0 || seed > 0xffffffffLL) FAIL("dropoutApply: seed must be an integer in [0, 2^32)");
  double keep;
  if (!get_f64(env, argv[2], &keep) || !(keep > 0 && keep <= 1)) FAIL("dropoutApply: keepProb must be in (0, 1]");
  if (lx > 0xffffffffu) FAIL("dropoutApply: x is too long");
  const DropoutMask mask = dropout_mask((uint32_t)seed, keep);
  dropout_loop(x, 0, (uint32_t)lx, &mask);
  return NULL;
}

VECTOR_CLONES_512
static void activation_grad_loop(const float *restrict dy, const float *restrict y, float *restrict out, size_t n, int64_t act,
                                 float sc) {
  if (act == ACT_RELU) {
    for (size_t i = 0; i < n; i++) out[i] = dy[i] * (y[i] > 0.0f ? sc : 0.0f);
  } else {
    for (size_t i = 0; i < n; i++) out[i] = dy[i] * (y[i] * (1.0f - y[i]));
  }
}

/* activationGrad(dy, y, out, act, scale): the gradient before a dense layer's activation from its
   output y = drop(act(a)): relu (act 1): out = dy * (y > 0 ? scale : 0) (scale is dropout's 1/keep as
   float32, or 1), as tfjs's (dy * mask) * step(a); sigmoid (act 4): out = dy * (y * (1 - y)). */
static napi_value ActivationGrad(napi_env env, napi_callback_info info) {
  ARGS(5, "activationGrad");
  float *dy, *y, *out;
  size_t ld, ly, lo;
  if (!get_f32(env, argv[0], &dy, &ld) || !get_f32(env, argv[1], &y, &ly) || !get_f32(env, argv[2], &out, &lo))
    FAIL("activationGrad: dy, y, out must be Float32Arrays");
  if (ly != ld || lo != ld) FAIL("activationGrad: dy, y, out must have the same length");
  int64_t act;
  double scale;
  if (!get_i64(env, argv[3], &act) || !get_f64(env, argv[4], &scale)) FAIL("activationGrad: act and scale must be numbers");
  if (act != ACT_RELU && act != ACT_SIGMOID) FAIL("activationGrad: act must be 1 (relu) or 4 (sigmoid)");
  activation_grad_loop(dy, y, out, ld, act, (float)scale);
  return NULL;
}

/* db[j] += z[j] for one row. */
VECTOR_CLONES_512
static void column_sums_add(const float *restrict z, float *restrict db, int64_t n) {
  for (int64_t j = 0; j < n; j++) db[j] += z[j];
}

/* A dense layer's gradients row by row, while the row is in cache: dz = dy through the activation
   (activation_grad_loop) and db = dz's column sums, summed in row order from zero (as BiasGrad). */
static void dense_grad(const float *dy, const float *y, float *dz, float *db, int64_t rows, int64_t n, int64_t act, float sc) {
  for (int64_t j = 0; j < n; j++) db[j] = 0.0f;
  for (int64_t r = 0; r < rows; r++) {
    activation_grad_loop(dy + r * n, y + r * n, dz + r * n, (size_t)n, act, sc);
    column_sums_add(dz + r * n, db, n);
  }
}

/* denseGrad(dy, y, dz, db, rows, n, act, scale): activationGrad(dy, y, dz, act, scale) and then
   biasGrad(dz, db, rows, n) in one pass, the same values. On one thread: split over the pool by
   columns, the supervised step's gradients (100 x 1000) took longer (measured in the step, where dy
   and y come from outside the caches: 56-61 us against 72-75 with the lock-free pool, 2026-12-04),
   though half the time with both in cache. */
static napi_value DenseGrad(napi_env env, napi_callback_info info) {
  ARGS(8, "denseGrad");
  float *dy, *y, *dz, *db;
  size_t ld, ly, lz, lb;
  if (!get_f32(env, argv[0], &dy, &ld) || !get_f32(env, argv[1], &y, &ly) || !get_f32(env, argv[2], &dz, &lz) || !get_f32(env, argv[3], &db, &lb))
    FAIL("denseGrad: dy, y, dz, db must be Float32Arrays");
  int64_t rows, n, act, rn;
  if (!get_size(env, argv[4], &rows) || !get_size(env, argv[5], &n)) FAIL("denseGrad: rows and n must be integers from 0 to 2147483647 (INT_MAX)");
  if (!mul_ok(rows, n, &rn) || (uint64_t)rn > (uint64_t)ld || ly != ld || lz != ld || (uint64_t)n > (uint64_t)lb)
    FAIL("denseGrad: dy, y and dz must have rows * n values, the same length, and db n");
  double scale;
  if (!get_i64(env, argv[6], &act) || !get_f64(env, argv[7], &scale)) FAIL("denseGrad: act and scale must be numbers");
  if (act != ACT_RELU && act != ACT_SIGMOID) FAIL("denseGrad: act must be 1 (relu) or 4 (sigmoid)");
  dense_grad(dy, y, dz, db, rows, n, act, (float)scale);
  return NULL;
}

/* ---- Convolutions (conv.c): NHWC float32, im2col/col2im and matrix products. */

/* The geometry argument: an array of CONV_GEOM_FIELDS whole numbers in ConvGeom's order, checked
   against the arrays' lengths (x [n, h, w, c], filter [fh, fw, c, f], y [n, oh, ow, f], or
   [n, oh, ow, c f] when depthwise). NULL on success, else the error. Any padding and output size is
   safe: the kernels read and write only positions inside the input. */
static const char *read_conv(napi_env env, napi_value geom, ConvGeom *g, size_t lx, size_t lfilter, size_t ly, int depthwise) {
  bool is_array = false;
  uint32_t len = 0;
  if (napi_is_array(env, geom, &is_array) != napi_ok || !is_array || napi_get_array_length(env, geom, &len) != napi_ok || len != CONV_GEOM_FIELDS)
    return "aae-lab-native: the convolution geometry must be an array of 15 numbers [n, h, w, c, oh, ow, f, fh, fw, sh, sw, dh, dw, pt, pl]";
  int64_t v[CONV_GEOM_FIELDS];
  for (uint32_t i = 0; i < CONV_GEOM_FIELDS; i++) {
    napi_value e;
    if (napi_get_element(env, geom, i, &e) != napi_ok || !get_size(env, e, &v[i]))
      return "aae-lab-native: the convolution geometry's values must be integers from 0 to 2147483647 (INT_MAX)";
  }
  *g = (ConvGeom){v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14]};
  if (g->sh < 1 || g->sw < 1 || g->dh < 1 || g->dw < 1) return "aae-lab-native: convolution strides and dilations must be at least 1";
  int64_t hw, hwc, nx, fhw, k, kf, ohw, rows, ny, yc;
  if (!mul_ok(g->h, g->w, &hw) || !mul_ok(hw, g->c, &hwc) || !mul_ok(g->n, hwc, &nx) || !mul_ok(g->fh, g->fw, &fhw) || !mul_ok(fhw, g->c, &k) ||
      !mul_ok(k, g->f, &kf) || !mul_ok(g->oh, g->ow, &ohw) || !mul_ok(g->n, ohw, &rows) || !mul_ok(depthwise ? g->c : 1, g->f, &yc) ||
      !mul_ok(rows, yc, &ny))
    return "aae-lab-native: the convolution's sizes overflow";
  if ((uint64_t)nx > (uint64_t)lx || (uint64_t)kf > (uint64_t)lfilter || (uint64_t)ny > (uint64_t)ly)
    return "aae-lab-native: an array is too small for the convolution geometry";
  if (rows > INT_MAX || k > INT_MAX) return "aae-lab-native: the convolution's patch matrix exceeds 2147483647 (INT_MAX) rows or columns";
  return NULL;
}

/* The six convolution functions, all with the body of ConvJs:
     conv2d(x, filter, out, geom, bias, act, alpha)        out = act(conv2d(x, filter) + bias)
     conv2dBackpropInput(dy, filter, dx, geom)             dx (also conv2dTranspose's forward)
     conv2dBackpropFilter(x, dy, dfilter, geom)            dfilter
     depthwiseConv2d(x, filter, out, geom, bias, act, alpha), depthwiseConv2dBackpropInput(dy, filter, dx, geom),
     depthwiseConv2dBackpropFilter(x, dy, dfilter, geom)   the same, depthwise (geom's f: the channel multiplier)
   bias, act and alpha as fusedMatMul's. */
typedef struct {
  const char *name, *arrays;
  ConvOp op;
  int depthwise;
} ConvSpec;

static const ConvSpec CONV_SPECS[] = {
    {"conv2d", "x, filter and out", CONV_FORWARD, 0},
    {"conv2dBackpropInput", "dy, filter and dx", CONV_INPUT, 0},
    {"conv2dBackpropFilter", "x, dy and dfilter", CONV_FILTER, 0},
    {"depthwiseConv2d", "x, filter and out", CONV_FORWARD, 1},
    {"depthwiseConv2dBackpropInput", "dy, filter and dx", CONV_INPUT, 1},
    {"depthwiseConv2dBackpropFilter", "x, dy and dfilter", CONV_FILTER, 1},
};

/* For each op, which of the three array arguments holds x, the filter and y (for the length checks). */
static const int CONV_ROLES[3][3] = {{0, 1, 2}, {2, 1, 0}, {0, 2, 1}};

static napi_value ConvJs(napi_env env, napi_callback_info info) {
  char msg[240];
  size_t argc = 7;
  napi_value argv[7];
  void *data = NULL;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, &data));
  const ConvSpec *spec = (const ConvSpec *)data;
  const int epilogue = spec->op == CONV_FORWARD;
  const size_t want = epilogue ? 7 : 4;
  if (argc != want) {
    snprintf(msg, sizeof msg, "aae-lab-native: %s takes %zu arguments", spec->name, want);
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  float *p[3];
  size_t len[3];
  for (int i = 0; i < 3; i++) {
    if (!get_f32(env, argv[i], &p[i], &len[i])) {
      snprintf(msg, sizeof msg, "aae-lab-native: %s: %s must be Float32Arrays", spec->name, spec->arrays);
      napi_throw_error(env, NULL, msg);
      return NULL;
    }
  }
  const int *roles = CONV_ROLES[spec->op];
  ConvGeom g;
  Epilogue e = {.dropout = 0, .bias = NULL, .lbias = 0, .act = ACT_LINEAR, .alpha = 0.0f};
  const char *err = read_conv(env, argv[3], &g, len[roles[0]], len[roles[1]], len[roles[2]], spec->depthwise);
  const int64_t channels = spec->depthwise ? g.c * g.f : g.f;
  if (!err && epilogue) err = read_epilogue(env, argv + 4, channels, &e);
  if (!err && conv_run(&g, spec->op, spec->depthwise, p[0], p[1], p[2]) != 0) err = "aae-lab-native: out of memory for a convolution's patch matrix";
  if (err) {
    snprintf(msg, sizeof msg, "%s (%s)", err, spec->name);
    napi_throw_error(env, NULL, msg);
    return NULL;
  }
  if (epilogue) apply_epilogue(&e, p[2], (size_t)(g.n * g.oh * g.ow), (size_t)channels);
  return NULL;
}

/* The convolution settings' names, in their enums' order. */
static const char *const GEMM_NAMES[] = {"openblas", "avx512"};
static const char *const WORKER_NAMES[] = {"load", "all", "one"};

/* options[key]: the index of its string value in names (n of them), -1 when absent or undefined,
   -2 when it is not one of them. */
static int option(napi_env env, napi_value options, const char *key, const char *const *names, int n) {
  bool has = false;
  napi_value v;
  napi_valuetype t;
  if (napi_has_named_property(env, options, key, &has) != napi_ok || !has) return -1;
  if (napi_get_named_property(env, options, key, &v) != napi_ok || napi_typeof(env, v, &t) != napi_ok) return -2;
  if (t == napi_undefined) return -1;
  char s[16] = {0};
  size_t len = 0;
  if (t != napi_string || napi_get_value_string_utf8(env, v, s, sizeof s, &len) != napi_ok) return -2;
  for (int i = 0; i < n; i++)
    if (strcmp(s, names[i]) == 0) return i;
  return -2;
}

/* The optional options argument of convConfig/denseConfig: *out is the object, or NULL when it is
   absent or undefined. Returns 0, or -1 after throwing (more than one argument, not an object). */
static int options_arg(napi_env env, napi_callback_info info, const char *fn, const char *shape, napi_value *out) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype t = napi_undefined;
  char msg[160];
  *out = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || (argc == 1 && napi_typeof(env, argv[0], &t) != napi_ok)) {
    napi_throw_error(env, NULL, "aae-lab-native: N-API call failed");
    return -1;
  }
  if (argc > 1) {
    snprintf(msg, sizeof msg, "aae-lab-native: %s takes at most 1 argument", fn);
    napi_throw_error(env, NULL, msg);
    return -1;
  }
  if (t == napi_undefined) return 0;
  if (t != napi_object) {
    snprintf(msg, sizeof msg, "aae-lab-native: %s: options must be an object %s", fn, shape);
    napi_throw_error(env, NULL, msg);
    return -1;
  }
  *out = argv[0];
  return 0;
}

static int worker_setting = CONV_WORKERS_LOAD;

/* convConfig(options): the convolutions' settings; options (optional) may set gemm ('avx512': the
   addon's own AVX-512 products, the default where the CPU has AVX-512; 'openblas') and workers
   ('load': up to the BLAS thread count, fewer when the load average says the cores are busy, the
   default; 'all'; 'one'). Returns the settings in use, {gemm, workers}. */
static napi_value ConvConfigJs(napi_env env, napi_callback_info info) {
  napi_value opts;
  if (options_arg(env, info, "convConfig", "{gemm, workers}", &opts) != 0) return NULL;
  if (opts) {
    const int gemm = option(env, opts, "gemm", GEMM_NAMES, 2);
    const int workers = option(env, opts, "workers", WORKER_NAMES, 3);
    if (gemm == -2) FAIL("convConfig: gemm must be 'avx512' or 'openblas'");
    if (workers == -2) FAIL("convConfig: workers must be 'load', 'all' or 'one'");
    const char *why = gemm >= 0 ? conv_gemm(gemm) : NULL;
    if (why) {
      char msg[120];
      snprintf(msg, sizeof msg, "aae-lab-native: convConfig: gemm 'avx512': %s", why);
      napi_throw_error(env, NULL, msg);
      return NULL;
    }
    if (workers >= 0) conv_workers(worker_setting = workers);
  }
  napi_value out, v;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_string_utf8(env, GEMM_NAMES[conv_gemm_kind()], NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, out, "gemm", v));
  CHECK(napi_create_string_utf8(env, WORKER_NAMES[worker_setting], NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, out, "workers", v));
  return out;
}

/* denseConfig(options): the dense products' settings; options (optional) may set gemm ('avx512':
   the addon's own AVX-512 sgemm on a pool of as many threads as OpenBLAS has, the default where the
   CPU has AVX-512; 'openblas': OpenBLAS's sgemm, which gives the results of aae-lab before 2026-12).
   Returns the settings in use, {gemm}. */
static napi_value DenseConfigJs(napi_env env, napi_callback_info info) {
  napi_value opts;
  if (options_arg(env, info, "denseConfig", "{gemm}", &opts) != 0) return NULL;
  if (opts) {
    const int gemm = option(env, opts, "gemm", GEMM_NAMES, 2);
    if (gemm == -2) FAIL("denseConfig: gemm must be 'avx512' or 'openblas'");
    if (gemm == DENSE_GEMM_AVX512 && !gemm512_available()) FAIL("denseConfig: gemm 'avx512': this CPU has no AVX-512");
    if (gemm >= 0) {
      pthread_mutex_lock(&dense_lock);
      dense_gemm = gemm;
      pthread_mutex_unlock(&dense_lock);
    }
  }
  napi_value out, v;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_string_utf8(env, GEMM_NAMES[dense_gemm_kind()], NAPI_AUTO_LENGTH, &v));
  CHECK(napi_set_named_property(env, out, "gemm", v));
  return out;
}

/* convTimes(reset): CPU seconds in the convolutions' phases since the last reset, {im2col, gemm, col2im}. */
static napi_value ConvTimesJs(napi_env env, napi_callback_info info) {
  ARGS(1, "convTimes");
  int reset;
  if (!get_bool(env, argv[0], &reset)) FAIL("convTimes: reset must be a boolean");
  ConvTimes t;
  conv_times(&t, reset);
  napi_value out, v;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_double(env, t.im2col, &v));
  CHECK(napi_set_named_property(env, out, "im2col", v));
  CHECK(napi_create_double(env, t.gemm, &v));
  CHECK(napi_set_named_property(env, out, "gemm", v));
  CHECK(napi_create_double(env, t.col2im, &v));
  CHECK(napi_set_named_property(env, out, "col2im", v));
  return out;
}

static napi_value SetThreads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t n;
  if (argc != 1 || !get_i64(env, argv[0], &n) || n < 1) FAIL("setThreads takes a positive integer");
  openblas_set_num_threads((int)n);
  return NULL;
}

static napi_value GetThreads(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value Config(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  const char *c = openblas_get_config();
  CHECK(napi_create_string_utf8(env, c ? c : "", NAPI_AUTO_LENGTH, &out));
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  sigmoid_init();
  napi_property_descriptor props[] = {
      {"fusedMatMul", NULL, FusedMatMul, NULL, NULL, NULL, napi_enumerable, NULL},
      {"adam", NULL, Adam, NULL, NULL, NULL, napi_enumerable, NULL},
      {"zigNormal", NULL, ZigNormal, NULL, NULL, NULL, napi_enumerable, NULL},
      {"biasGrad", NULL, BiasGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"denseGrad", NULL, DenseGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"dropoutApply", NULL, DropoutApply, NULL, NULL, NULL, napi_enumerable, NULL},
      {"activationGrad", NULL, ActivationGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mseSum", NULL, MseSum, NULL, NULL, NULL, napi_enumerable, NULL},
      {"mseGrad", NULL, MseGrad, NULL, NULL, NULL, napi_enumerable, NULL},
      {"convConfig", NULL, ConvConfigJs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"denseConfig", NULL, DenseConfigJs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"convTimes", NULL, ConvTimesJs, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setThreads", NULL, SetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"getThreads", NULL, GetThreads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"config", NULL, Config, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props) != napi_ok) return NULL;
  for (size_t i = 0; i < sizeof(CONV_SPECS) / sizeof(CONV_SPECS[0]); i++) {
    napi_property_descriptor d = {CONV_SPECS[i].name, NULL, ConvJs, NULL, NULL, NULL, napi_enumerable, (void *)&CONV_SPECS[i]};
    if (napi_define_properties(env, exports, 1, &d) != napi_ok) return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
