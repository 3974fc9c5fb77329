/*
 * 2-D convolutions of NHWC float32 tensors (see conv.h) as im2col/col2im and matrix products (the
 * addon's AVX-512 sgemm, gemm512.c, where the CPU has AVX-512, else OpenBLAS; see conv_gemm).
 *
 * With the filter [fh, fw, c, f] read as a (fh fw c) x f matrix W, and the patch matrix P of x
 * (one row per output position (image, oh, ow), one column per (kh, kw, ci): the input value under
 * that filter tap, 0 in the padding):
 *   forward          out = P W                 ((n oh ow) x f)
 *   input gradient   dx  = col2im(dy W^T)      (each row of dy W^T added back onto the positions it came from)
 *   filter gradient  dW  = P^T dy
 * In NHWC a row of P is, for each kh, one contiguous run of x (the taps kw of all channels), so
 * im2col and col2im copy or add whole runs.
 *
 * Images are processed in chunks whose patch matrix stays in a core's cache (CHUNK_VALUES) between
 * im2col and the product (or the product and col2im), by up to as many workers as OpenBLAS has
 * threads, each running single-threaded products on its own chunks. Forward and input gradient:
 * workers take the next chunk as they finish one; a chunk's result does not depend on the worker
 * that computed it. Filter gradient: the chunks are split into as many parts as OpenBLAS has
 * threads (contiguous ranges), workers take the next part as they finish one, and the parts' sums
 * are added in order. So results depend only on the shapes and the thread count, not on how many
 * workers run, and repeat exactly. Fewer workers run when a convolution is short (SMALL_CONV) or
 * when the load average says other jobs occupy the cores: the caller waits for the slowest worker
 * at the end of each convolution, and a worker the system delays would hold it up.
 */
#define _DEFAULT_SOURCE /* getloadavg */
#define _POSIX_C_SOURCE 200809L
#include "conv.h"
#include "gemm512.h"

#include <cblas.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) && defined(__linux__) && defined(__GNUC__)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define VECTOR_CLONES
#endif

/* A chunk's patch matrix holds about this many values (512 KB: it stays in a core's L2 cache from
   im2col to the product), or one image's if that is more. */
#ifndef CHUNK_VALUES
#define CHUNK_VALUES ((int64_t)1 << 17)
#endif
/* Convolutions of at most this many multiply-adds (about a millisecond's work) run on one thread:
   the caller waits for the slowest worker, and on a busy machine a worker the system delays costs
   more than a short convolution gains from a second thread. */
#define SMALL_CONV 64000000
/* At most this many workers. */
#define MAX_WORKERS 16

/* The static state below (times, scratch buffers, settings, the load check) is shared by every
   caller in the process (Node worker threads included): the public functions hold this lock, so one
   convolution runs at a time. */
static pthread_mutex_t conv_lock = PTHREAD_MUTEX_INITIALIZER;

static ConvTimes times;
/* Timing starts with the first conv_times call (profiling); until then now() costs nothing. */
static atomic_int timing;

/* The calling thread's CPU time in seconds (so a thread the system delays is not charged for the
   wait), or 0 while timing is off. */
static double now(void) {
  if (!atomic_load_explicit(&timing, memory_order_relaxed)) return 0;
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

void conv_times(ConvTimes *out, int reset) {
  pthread_mutex_lock(&conv_lock);
  atomic_store(&timing, 1);
  *out = times;
  if (reset) memset(&times, 0, sizeof times);
  pthread_mutex_unlock(&conv_lock);
}

/* Each worker's scratch buffer (64-byte aligned), kept between calls (grown, never shrunk). */
static float *scratch[MAX_WORKERS];
static int64_t scratch_len[MAX_WORKERS];

static float *worker_scratch(int w, int64_t len) {
  if (len <= scratch_len[w]) return scratch[w];
  void *p = NULL;
  if (posix_memalign(&p, 64, sizeof(float) * (size_t)len) != 0) return NULL;
  free(scratch[w]);
  scratch[w] = (float *)p;
  scratch_len[w] = len;
  return (float *)p;
}

/* The products' kernel: CONV_GEMM_AVX512 where the CPU has it, else OpenBLAS (-1: not chosen yet). */
static int gemm_kind = -1;

/* The default kind once (with conv_lock held). */
static void choose_gemm(void) {
  if (gemm_kind < 0) gemm_kind = gemm512_available() ? CONV_GEMM_AVX512 : CONV_GEMM_OPENBLAS;
}

const char *conv_gemm(int kind) {
  if (kind == CONV_GEMM_AVX512 && !gemm512_available()) return "this CPU has no AVX-512";
  pthread_mutex_lock(&conv_lock);
  if (kind >= 0) gemm_kind = kind;
  choose_gemm();
  pthread_mutex_unlock(&conv_lock);
  return NULL;
}

int conv_gemm_kind(void) {
  pthread_mutex_lock(&conv_lock);
  choose_gemm();
  const int kind = gemm_kind;
  pthread_mutex_unlock(&conv_lock);
  return kind;
}

/* Row-major C = op(A) op(B) + beta C (beta 0 or 1), single-threaded, by gemm512 (with the workspace
   ws) or OpenBLAS. */
static void sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                  int64_t ldc, float *ws) {
  if (gemm_kind == CONV_GEMM_AVX512) {
    gemm512(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc, ws);
    return;
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, a, (int)lda, b, (int)ldb,
              beta, c, (int)ldc);
}

/* The filter taps kw in [*lo, *hi) whose input column iw0 + kw dw lies inside [0, w). */
static void tap_range(const ConvGeom *g, int64_t iw0, int64_t *lo, int64_t *hi) {
  int64_t a = iw0 >= 0 ? 0 : (-iw0 + g->dw - 1) / g->dw;
  int64_t b = iw0 < g->w ? (g->w - iw0 + g->dw - 1) / g->dw : 0;
  if (b > g->fw) b = g->fw;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

VECTOR_CLONES
static void add_run(float *restrict d, const float *restrict s, int64_t len) {
  for (int64_t j = 0; j < len; j++) d[j] += s[j];
}

/* im2col (x given, dx NULL): the patch rows of images [n0, n1) of x into cols (row 0 is image n0's
   first output position), 0 in the padding. col2im (dx given, x NULL): its transpose, the rows of
   cols added back onto the images of dx (zeroed first). */
static void patch_rows(const ConvGeom *g, const float *x, float *dx, float *cols, int64_t n0, int64_t n1) {
  const int64_t c = g->c, run = g->fw * c, k = g->fh * run, image = g->h * g->w * c;
  if (dx) memset(dx + n0 * image, 0, sizeof(float) * (size_t)((n1 - n0) * image));
  float *row = cols;
  for (int64_t i = n0; i < n1; i++) {
    for (int64_t oh = 0; oh < g->oh; oh++) {
      const int64_t ih0 = oh * g->sh - g->pt;
      for (int64_t ow = 0; ow < g->ow; ow++, row += k) {
        const int64_t iw0 = ow * g->sw - g->pl;
        int64_t lo, hi;
        tap_range(g, iw0, &lo, &hi);
        for (int64_t kh = 0; kh < g->fh; kh++) {
          float *r = row + kh * run;
          const int64_t ih = ih0 + kh * g->dh;
          if (ih < 0 || ih >= g->h || hi == lo) {
            if (x) memset(r, 0, sizeof(float) * (size_t)run);
            continue;
          }
          /* The image values under taps lo..hi-1 of this filter row: one run when not dilated. */
          const int64_t at = i * image + (ih * g->w + iw0) * c;
          if (x) {
            if (lo > 0) memset(r, 0, sizeof(float) * (size_t)(lo * c));
            if (g->dw == 1)
              memcpy(r + lo * c, x + at + lo * c, sizeof(float) * (size_t)((hi - lo) * c));
            else
              for (int64_t kw = lo; kw < hi; kw++) memcpy(r + kw * c, x + at + kw * g->dw * c, sizeof(float) * (size_t)c);
            if (hi < g->fw) memset(r + hi * c, 0, sizeof(float) * (size_t)((g->fw - hi) * c));
          } else if (g->dw == 1) {
            add_run(dx + at + lo * c, r + lo * c, (hi - lo) * c);
          } else {
            for (int64_t kw = lo; kw < hi; kw++) add_run(dx + at + kw * g->dw * c, r + kw * c, c);
          }
        }
      }
    }
  }
}

/* A 1x1 filter at stride 1 without padding: the patch matrix is x itself. */
static int patches_are_x(const ConvGeom *g) {
  return g->fh == 1 && g->fw == 1 && g->sh == 1 && g->sw == 1 && g->pt == 0 && g->pl == 0 && g->oh == g->h && g->ow == g->w;
}

typedef struct {
  const ConvGeom *g;
  ConvOp op;
  const float *a, *b; /* forward: x, filter; input gradient: dy, filter; filter gradient: x, dy */
  float *out;         /* out, dx or dfilter */
  int64_t chunk, chunks;
  /* Filter gradient: part p sums chunks [chunks p / parts, chunks (p + 1) / parts) into out (p = 0)
     or partial + (p - 1) k f; the parts are added in order at the end. */
  int64_t parts;
  float *partial;
  atomic_llong next; /* the next chunk (forward, input gradient) or part (filter gradient) to take */
  atomic_int failed; /* a worker could not allocate its scratch */
  ConvTimes t[MAX_WORKERS];
} Job;

typedef struct {
  Job *job;
  int w;
} Worker;

/* Chunk ci of the job: images [n0, n1) through im2col, product and col2im as its op needs. */
static void run_chunk(Job *j, int w, float *ws, float *cols, int64_t ci, float *dst, int first) {
  const ConvGeom *g = j->g;
  const int64_t rows = g->oh * g->ow, k = g->fh * g->fw * g->c, f = g->f;
  const int64_t n0 = ci * j->chunk, n1 = n0 + j->chunk < g->n ? n0 + j->chunk : g->n;
  const int64_t m = (n1 - n0) * rows;
  ConvTimes *t = &j->t[w];
  double t0 = now(), t1;
  /* A 1x1 filter at stride 1 without padding: the patch rows are x's own, and dx is dy W^T. */
  const int direct = patches_are_x(g);
  if (j->op == CONV_INPUT) {
    sgemm(0, 1, m, k, f, j->a + n0 * rows * f, f, j->b, f, 0.0f, direct ? j->out + n0 * rows * k : cols, k, ws);
    t1 = now();
    if (!direct) patch_rows(g, NULL, j->out, cols, n0, n1);
    t->gemm += t1 - t0;
    t->col2im += now() - t1;
    return;
  }
  const float *patches = direct ? j->a + n0 * rows * k : cols;
  if (!direct) patch_rows(g, j->a, NULL, cols, n0, n1);
  t1 = now();
  if (j->op == CONV_FORWARD)
    sgemm(0, 0, m, f, k, patches, k, j->b, f, 0.0f, j->out + n0 * rows * f, f, ws);
  else
    sgemm(1, 0, k, f, m, patches, k, j->b + n0 * rows * f, f, first ? 0.0f : 1.0f, dst, f, ws);
  t->im2col += t1 - t0;
  t->gemm += now() - t1;
}

/* A worker's scratch: the products' workspace (its first ws floats, a multiple of 16), then a
   chunk's patch matrix (none when it is x itself); total floats in all. */
static void layout(const Job *j, int64_t *ws, int64_t *total) {
  const ConvGeom *g = j->g;
  const int64_t k = g->fh * g->fw * g->c;
  *ws = gemm_kind == CONV_GEMM_AVX512 ? (gemm512_workspace(j->op == CONV_INPUT ? k : g->f) + 15) / 16 * 16 : 0;
  *total = *ws + (patches_are_x(g) ? 0 : j->chunk * g->oh * g->ow * k);
}

static void *work(void *arg) {
  const Worker *me = (const Worker *)arg;
  Job *j = me->job;
  const int w = me->w;
  const ConvGeom *g = j->g;
  int64_t lws, total;
  layout(j, &lws, &total);
  float *ws = worker_scratch(w, total);
  if (!ws && total > 0) {
    atomic_store(&j->failed, 1);
    return NULL;
  }
  float *cols = ws + lws;
  if (j->op == CONV_FILTER) {
    const int64_t kf = g->fh * g->fw * g->c * g->f;
    for (;;) {
      const int64_t p = atomic_fetch_add(&j->next, 1);
      if (p >= j->parts) break;
      const int64_t c0 = j->chunks * p / j->parts, c1 = j->chunks * (p + 1) / j->parts;
      float *dst = p == 0 ? j->out : j->partial + (p - 1) * kf;
      for (int64_t ci = c0; ci < c1; ci++) run_chunk(j, w, ws, cols, ci, dst, ci == c0);
    }
    return NULL;
  }
  for (;;) {
    const int64_t ci = atomic_fetch_add(&j->next, 1);
    if (ci >= j->chunks) break;
    run_chunk(j, w, ws, cols, ci, NULL, 0);
  }
  return NULL;
}

static int worker_mode = CONV_WORKERS_LOAD;

void conv_workers(int mode) {
  pthread_mutex_lock(&conv_lock);
  worker_mode = mode;
  pthread_mutex_unlock(&conv_lock);
}

/* Cores the load average leaves to this process, counting the thread that calls (as libgomp's
   OMP_DYNAMIC): online cores - the 1-minute load average + 1, at least 1; read once a second. */
static int free_cores(void) {
  static double checked = -10;
  static int cores = 1;
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  const double at = (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
  if (at - checked >= 1.0) {
    checked = at;
    double load;
    const long online = sysconf(_SC_NPROCESSORS_ONLN);
    cores = getloadavg(&load, 1) == 1 && online > 0 ? (int)(online - (long)load + 1) : MAX_WORKERS;
    if (cores < 1) cores = 1;
  }
  return cores;
}

/* The filter gradient's part sums after the first (grown, never shrunk). */
static float *partials = NULL;
static int64_t partials_len = 0;

/* Runs op on all images: chunks, workers, and the filter gradient's sum of its parts. */
static int run_job(const ConvGeom *g, ConvOp op, const float *a, const float *b, float *out) {
  const int64_t rows = g->oh * g->ow, k = g->fh * g->fw * g->c, per = rows * k, kf = k * g->f;
  choose_gemm();
  Job j;
  memset(&j, 0, sizeof j);
  j.g = g;
  j.op = op;
  j.a = a;
  j.b = b;
  j.out = out;
  j.chunk = per > 0 && CHUNK_VALUES / per > 1 ? CHUNK_VALUES / per : 1;
  if (j.chunk > g->n) j.chunk = g->n;
  j.chunks = (g->n + j.chunk - 1) / j.chunk;
  atomic_init(&j.next, 0);
  atomic_init(&j.failed, 0);
  const int threads = openblas_get_num_threads();
  const int64_t most = threads < MAX_WORKERS ? threads : MAX_WORKERS;
  /* The filter gradient's parts follow from the shapes and the thread count only, never from how
     many workers run, so its sums are the same whatever the load. */
  if (op == CONV_FILTER) {
    j.parts = most < j.chunks ? most : j.chunks;
    if ((j.parts - 1) * kf > partials_len) {
      void *p = NULL;
      if (posix_memalign(&p, 64, sizeof(float) * (size_t)((j.parts - 1) * kf)) != 0) return -1;
      free(partials);
      partials = (float *)p;
      partials_len = (j.parts - 1) * kf;
    }
    j.partial = partials;
  }
  const int64_t tasks = op == CONV_FILTER ? j.parts : j.chunks;
  int workers = (int)(most < tasks ? most : tasks);
  if (g->n * per * g->f <= SMALL_CONV || worker_mode == CONV_WORKERS_ONE) workers = 1;
  if (worker_mode == CONV_WORKERS_LOAD && workers > free_cores()) workers = free_cores();
  /* One chunk and several threads (one large image): OpenBLAS splits the products instead. */
  const int blas_threads = j.chunks == 1 && g->n * per * g->f > SMALL_CONV ? threads : 1;
  if (blas_threads != threads) openblas_set_num_threads(blas_threads);
  pthread_t tid[MAX_WORKERS];
  Worker args[MAX_WORKERS];
  int started = 1;
  for (int w = 0; w < workers; w++) args[w] = (Worker){&j, w};
  for (int w = 1; w < workers; w++) {
    if (pthread_create(&tid[w], NULL, work, &args[w]) != 0) break;
    started++;
  }
  /* This thread is worker 0; workers that could not start leave their tasks to it. */
  work(&args[0]);
  for (int w = 1; w < started; w++) pthread_join(tid[w], NULL);
  if (blas_threads != threads) openblas_set_num_threads(threads);
  if (op == CONV_FILTER && !atomic_load(&j.failed)) {
    const double t0 = now();
    for (int64_t p = 1; p < j.parts; p++) add_run(out, partials + (p - 1) * kf, kf);
    j.t[0].gemm += now() - t0;
  }
  for (int w = 0; w < workers; w++) {
    times.im2col += j.t[w].im2col;
    times.gemm += j.t[w].gemm;
    times.col2im += j.t[w].col2im;
  }
  return atomic_load(&j.failed) ? -1 : 0;
}

static void depthwise(const ConvGeom *g, ConvOp op, const float *a, const float *b, float *out);

static int conv_run_locked(const ConvGeom *g, ConvOp op, int depthwise_conv, const float *a, const float *b, float *out);

int conv_run(const ConvGeom *g, ConvOp op, int depthwise_conv, const float *a, const float *b, float *out) {
  pthread_mutex_lock(&conv_lock);
  const int r = conv_run_locked(g, op, depthwise_conv, a, b, out);
  pthread_mutex_unlock(&conv_lock);
  return r;
}

static int conv_run_locked(const ConvGeom *g, ConvOp op, int depthwise_conv, const float *a, const float *b, float *out) {
  const int64_t rows = g->n * g->oh * g->ow, k = g->fh * g->fw * g->c, f = g->f;
  const int64_t oc = depthwise_conv ? g->c * f : f;
  const int64_t size = op == CONV_FORWARD ? rows * oc : op == CONV_INPUT ? g->n * g->h * g->w * g->c : k * f;
  if (size == 0) return 0;
  if (rows * k * f == 0) {
    memset(out, 0, sizeof(float) * (size_t)size);
    return 0;
  }
  if (depthwise_conv) {
    depthwise(g, op, a, b, out);
    return 0;
  }
  return run_job(g, op, a, b, out);
}

/* ---- Depthwise convolutions: filter [fh, fw, c, m] (m = g->f, the channel multiplier), output
   channel ci m + q from input channel ci. Direct loops over the filter taps (each tap is an
   element-wise product over the channels; there is no large product for OpenBLAS), on one thread,
   in a fixed order. */

/* out[j m + q] += x[j] v[j m + q]: a forward tap (out = y, v = the filter's tap) and a filter
   gradient tap (out = the filter gradient's tap, v = dy). */
VECTOR_CLONES
static void dw_tap(float *restrict out, const float *restrict x, const float *restrict v, int64_t c, int64_t m) {
  if (m == 1) {
    for (int64_t j = 0; j < c; j++) out[j] += x[j] * v[j];
    return;
  }
  for (int64_t j = 0; j < c; j++)
    for (int64_t q = 0; q < m; q++) out[j * m + q] += x[j] * v[j * m + q];
}

VECTOR_CLONES
static void dw_input_tap(float *restrict dx, const float *restrict dy, const float *restrict w, int64_t c, int64_t m) {
  if (m == 1) {
    for (int64_t j = 0; j < c; j++) dx[j] += dy[j] * w[j];
    return;
  }
  for (int64_t j = 0; j < c; j++) {
    float s = 0.0f;
    for (int64_t q = 0; q < m; q++) s += dy[j * m + q] * w[j * m + q];
    dx[j] += s;
  }
}

/* Every (output position, filter tap) pair inside the input, in order, through the op's tap function.
   a, b, out as run_job's. */
static void depthwise(const ConvGeom *g, ConvOp op, const float *a, const float *b, float *out) {
  const double t0 = now();
  const int64_t c = g->c, m = g->f, oc = c * m;
  const int64_t size = op == CONV_FORWARD ? g->n * g->oh * g->ow * oc : op == CONV_INPUT ? g->n * g->h * g->w * c : g->fh * g->fw * oc;
  memset(out, 0, sizeof(float) * (size_t)size);
  for (int64_t i = 0; i < g->n; i++) {
    for (int64_t oh = 0; oh < g->oh; oh++) {
      const int64_t ih0 = oh * g->sh - g->pt;
      for (int64_t ow = 0; ow < g->ow; ow++) {
        const int64_t iw0 = ow * g->sw - g->pl;
        const int64_t yo = ((i * g->oh + oh) * g->ow + ow) * oc;
        int64_t lo, hi;
        tap_range(g, iw0, &lo, &hi);
        for (int64_t kh = 0; kh < g->fh; kh++) {
          const int64_t ih = ih0 + kh * g->dh;
          if (ih < 0 || ih >= g->h) continue;
          for (int64_t kw = lo; kw < hi; kw++) {
            const int64_t xo = ((i * g->h + ih) * g->w + iw0 + kw * g->dw) * c;
            const int64_t wo = (kh * g->fw + kw) * oc;
            if (op == CONV_FORWARD)
              dw_tap(out + yo, a + xo, b + wo, c, m);
            else if (op == CONV_INPUT)
              dw_input_tap(out + xo, a + yo, b + wo, c, m);
            else
              dw_tap(out + wo, a + xo, b + yo, c, m);
          }
        }
      }
    }
  }
  times.gemm += now() - t0;
}
