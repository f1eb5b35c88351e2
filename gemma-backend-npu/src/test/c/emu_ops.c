/*
 * libopapi.so of the emulator: the aclnn operators a Gemma 2 step needs, each a two-phase call:
 * aclnnXxxGetWorkspaceSize(<args>, uint64_t *workspaceSize, aclOpExecutor **executor) validates and
 * records the call; aclnnXxx(workspace, workspaceSize, executor, stream) queues it on the stream; it runs
 * at aclrtSynchronizeStream. Arithmetic is done in double and stored in each output's dtype.
 */
#include "emu.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define EXECUTOR_MAGIC 0xE8EC
#define TENSOR_MAGIC 0x7E45
#define SCALAR_MAGIC 0x5CA1

/* ---- element access ---- */

static float bf16_to_float(uint16_t b) {
  uint32_t u = (uint32_t)b << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static uint16_t float_to_bf16(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  if ((u & 0x7F800000u) == 0x7F800000u && (u & 0x7FFFFFu)) return (uint16_t)((u >> 16) | 0x40); /* NaN stays NaN */
  u += 0x7FFFu + ((u >> 16) & 1u);
  return (uint16_t)(u >> 16);
}

static char *base_of(const aclTensor *t) {
  int64_t last = t->offset;
  for (int i = 0; i < t->ndim; i++)
    if (t->dims[i] > 0) last += (t->dims[i] - 1) * t->strides[i];
  return emu_resolve(t->data, emu_storage_bytes(t->dtype, last + 1), "kernel operand");
}

static double get(const aclTensor *t, const char *base, int64_t element) {
  if (t->dtype == DT_INT4) {
    uint8_t byte = (uint8_t)base[element / 2];
    int nibble = element % 2 ? byte >> 4 : byte & 15;
    return nibble >= 8 ? nibble - 16 : nibble;
  }
  const char *p = base + element * emu_dtype_size(t->dtype);
  switch (t->dtype) {
    case DT_FLOAT: return *(const float *)p;
    case DT_FLOAT16: return (double)*(const _Float16 *)p;
    case DT_BF16: return bf16_to_float(*(const uint16_t *)p);
    case DT_INT32: return *(const int32_t *)p;
    case DT_INT64: return (double)*(const int64_t *)p;
    case DT_INT16: return *(const int16_t *)p;
    case DT_INT8: return *(const int8_t *)p;
    case DT_UINT8: return *(const uint8_t *)p;
    case DT_BOOL: return *(const uint8_t *)p ? 1 : 0;
  }
  return 0;
}

static void put(const aclTensor *t, char *base, int64_t element, double v) {
  char *p = base + element * emu_dtype_size(t->dtype);
  switch (t->dtype) {
    case DT_FLOAT: *(float *)p = (float)v; break;
    case DT_FLOAT16: *(_Float16 *)p = (_Float16)(float)v; break;
    case DT_BF16: *(uint16_t *)p = float_to_bf16((float)v); break;
    case DT_INT32: *(int32_t *)p = (int32_t)v; break;
    case DT_INT64: *(int64_t *)p = (int64_t)v; break;
    case DT_INT16: *(int16_t *)p = (int16_t)v; break;
    case DT_INT8: *(int8_t *)p = (int8_t)v; break;
    case DT_UINT8: *(uint8_t *)p = (uint8_t)v; break;
    case DT_BOOL: *(uint8_t *)p = v != 0; break;
  }
}

static int64_t numel(const aclTensor *t) {
  int64_t n = 1;
  for (int i = 0; i < t->ndim; i++) n *= t->dims[i];
  return n;
}

/* Element offset of the linear (row-major) index `linear` of `out`'s shape in t, broadcasting t to it. */
static int64_t broadcast_offset(const aclTensor *t, const aclTensor *out, int64_t linear) {
  int64_t offset = t->offset;
  for (int d = out->ndim - 1; d >= 0; d--) {
    int64_t i = linear % out->dims[d];
    linear /= out->dims[d];
    int td = d - (out->ndim - t->ndim);
    if (td >= 0 && t->dims[td] != 1) offset += i * t->strides[td];
  }
  return offset;
}

static int64_t view_offset(const aclTensor *t, int64_t linear) {
  return broadcast_offset(t, t, linear);
}

/* ---- validation ---- */

static int check_tensor(const char *op, const char *name, const aclTensor *t) {
  if (!t) return emu_fail(ACLNN_ERR_PARAM_NULLPTR, "%s: %s is NULL", op, name);
  if (t->magic != TENSOR_MAGIC) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: %s is not a live aclTensor", op, name);
  return 0;
}

static int check_float(const char *op, const char *name, const aclTensor *t) {
  if (t->dtype != DT_FLOAT && t->dtype != DT_FLOAT16 && t->dtype != DT_BF16)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: %s must be FLOAT, FLOAT16 or BF16, is aclDataType %d", op, name, t->dtype);
  return 0;
}

static int check_index(const char *op, const char *name, const aclTensor *t) {
  if (t->dtype != DT_INT64 && t->dtype != DT_INT32)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: %s must be INT64 or INT32, is aclDataType %d", op, name, t->dtype);
  return 0;
}

/* The dtypes an operator's doc lists for Atlas A2/A3 (its GetWorkspaceSize parameter table), as bit masks
 * of aclDataType; MANIFEST.md names each doc. Types the emulator has no storage for are left out. */
#define DT_BIT(x) (1ull << (x))
#define DTS_FLOATS (DT_BIT(DT_FLOAT) | DT_BIT(DT_FLOAT16) | DT_BIT(DT_BF16))
#define DTS_INTEGERS (DT_BIT(DT_INT8) | DT_BIT(DT_UINT8) | DT_BIT(DT_INT16) | DT_BIT(DT_INT32) | DT_BIT(DT_INT64))
#define DTS_NUMBERS (DTS_FLOATS | DTS_INTEGERS | DT_BIT(DT_BOOL))
#define DTS_INDICES (DT_BIT(DT_INT32) | DT_BIT(DT_INT64))

static int check_dtype(const char *op, const char *name, const aclTensor *t, uint64_t allowed) {
  if (t->dtype < 0 || t->dtype >= 64 || !(allowed & DT_BIT(t->dtype)))
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: %s is aclDataType %d, which its doc does not list for Atlas A2/A3", op,
                    name, t->dtype);
  return 0;
}

static int same_shape(const char *op, const aclTensor *a, const aclTensor *b) {
  if (a->ndim != b->ndim) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: ranks %d and %d differ", op, a->ndim, b->ndim);
  for (int i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i])
      return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: dimension %d is %lld and %lld", op, i, (long long)a->dims[i],
                      (long long)b->dims[i]);
  return 0;
}

static int broadcastable(const char *op, const aclTensor *in, const aclTensor *out) {
  if (in->ndim > out->ndim) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: input rank %d exceeds output rank %d", op, in->ndim, out->ndim);
  for (int i = 0; i < in->ndim; i++) {
    int64_t a = in->dims[i], b = out->dims[i + out->ndim - in->ndim];
    if (a != b && a != 1)
      return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: dimension %lld does not broadcast to %lld", op, (long long)a, (long long)b);
  }
  return 0;
}

/* Contiguous as CANN's operator docs mean it: row-major strides, dimensions of size 1 ignored (as
 * torch.Tensor.is_contiguous ignores them). */
static bool is_contiguous(const aclTensor *t) {
  int64_t expected = 1;
  for (int d = t->ndim - 1; d >= 0; d--) {
    if (t->dims[d] != 1 && t->strides[d] != expected) return false;
    expected *= t->dims[d];
  }
  return true;
}

static int64_t norm_dim(int64_t dim, int ndim) {
  return dim < 0 ? dim + ndim : dim;
}

/* ---- executors ---- */

static aclnnStatus make(const char *op, uint64_t workspace, emu_kernel kernel, const aclTensor *const *tensors, int n,
                        uint64_t *workspaceSize, aclOpExecutor **executor, aclOpExecutor **made) {
  if (!workspaceSize || !executor) return emu_fail(ACLNN_ERR_PARAM_NULLPTR, "%sGetWorkspaceSize: NULL output pointer", op);
  if (emu_should_fail(op)) return emu_fail(ACLNN_ERR_INNER, "%s: injected failure (emulator.conf fail_op)", op);
  aclOpExecutor *e = calloc(1, sizeof *e);
  emu_count_executor(1);
  e->magic = EXECUTOR_MAGIC;
  e->op = op;
  e->workspace = workspace;
  e->kernel = kernel;
  for (int i = 0; i < n; i++) e->t[i] = *tensors[i];
  *workspaceSize = workspace;
  *executor = e;
  *made = e;
  return 0;
}

static aclnnStatus launch(const char *op, void *workspace, uint64_t size, aclOpExecutor *e, aclrtStream stream) {
  int rc = emu_require_context(op);
  if (rc) return rc;
  if (!e || e->magic != EXECUTOR_MAGIC) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: not a live executor (each is used once)", op);
  if (strcmp(e->op, op)) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the executor was made for %s", op, e->op);
  if (size < e->workspace) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: workspace of %llu bytes, %llu needed", op,
                                          (unsigned long long)size, (unsigned long long)e->workspace);
  if (e->workspace > 0 && !emu_resolve(workspace, e->workspace, op)) return ACLNN_ERR_PARAM_INVALID;
  e->magic = EXECUTOR_MAGIC + 1; /* queued: a second launch fails */
  return emu_enqueue(stream, e);
}

/* An executor made by GetWorkspaceSize that will not be launched. */
aclnnStatus aclDestroyAclOpExecutor(aclOpExecutor *executor) {
  if (!executor || executor->magic != EXECUTOR_MAGIC)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "aclDestroyAclOpExecutor: not a live, unlaunched executor");
  executor->magic = 0;
  emu_free_executor(executor);
  emu_count_executor(-1);
  return 0;
}

#define LAUNCH(name)                                                                                     \
  aclnnStatus name(void *workspace, uint64_t workspaceSize, aclOpExecutor *executor, aclrtStream stream) { \
    return launch(#name, workspace, workspaceSize, executor, stream);                                   \
  }

/* ---- kernels ---- */

static void k_elementwise(aclOpExecutor *e) {
  /* t0 self, t1 other (or unused), t2 out; i[0]: 0 add, 1 mul, 2 muls, 3 tanh, 4 gelu, 5 cast, 6 copy; d[0] alpha/scalar, i[1] approximate */
  const aclTensor *a = &e->t[0], *b = &e->t[1], *out = &e->t[2];
  char *pa = base_of(a), *pb = e->i[0] <= 1 ? base_of(b) : NULL, *po = base_of(out);
  if (!pa || !po || (e->i[0] <= 1 && !pb)) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t n = numel(out);
  for (int64_t k = 0; k < n; k++) {
    double x = get(a, pa, broadcast_offset(a, out, k)), y;
    switch (e->i[0]) {
      case 0: y = x + e->d[0] * get(b, pb, broadcast_offset(b, out, k)); break;
      case 1: y = x * get(b, pb, broadcast_offset(b, out, k)); break;
      case 2: y = x * e->d[0]; break;
      case 3: y = tanh(x); break;
      case 4:
        y = e->i[1] == 1 ? 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x))) : 0.5 * x * (1 + erf(x / sqrt(2)));
        break;
      default: y = x; break;
    }
    put(out, po, view_offset(out, k), y);
  }
}

static aclnnStatus elementwise(const char *op, int kind, const aclTensor *self, const aclTensor *other, const aclTensor *out,
                               double scalar, int64_t param, uint64_t *ws, aclOpExecutor **ex) {
  int rc;
  if ((rc = check_tensor(op, "self", self)) || (rc = check_tensor(op, "out", out))) return rc;
  if (other && (rc = check_tensor(op, "other", other))) return rc;
  if ((rc = broadcastable(op, self, out))) return rc;
  if (other && (rc = broadcastable(op, other, out))) return rc;
  /* Add, Mul, Muls (ops-math math/add, math/mul, math/muls): numbers of every kind; Tanh (math/tanh): numbers
   * in, floats out; GeluV2 (ops-nn activation/gelu_v2): floats; Cast, InplaceCopy: every type the emulator has. */
  uint64_t in = kind == 4 ? DTS_FLOATS : DTS_NUMBERS, outs = kind >= 3 && kind <= 4 ? DTS_FLOATS : DTS_NUMBERS;
  if ((rc = check_dtype(op, "self", self, in)) || (rc = check_dtype(op, "out", out, outs))) return rc;
  if (other && (rc = check_dtype(op, "other", other, in))) return rc;
  const aclTensor *ts[3] = {self, other ? other : self, out};
  aclOpExecutor *e;
  if ((rc = make(op, 0, k_elementwise, ts, 3, ws, ex, &e))) return rc;
  e->i[0] = kind;
  e->i[1] = param;
  e->d[0] = scalar;
  return 0;
}

static int scalar_value(const char *op, const aclScalar *s, double *v) {
  if (!s) return emu_fail(ACLNN_ERR_PARAM_NULLPTR, "%s: scalar is NULL", op);
  if (s->magic != SCALAR_MAGIC) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: not a live aclScalar", op);
  *v = s->value;
  return 0;
}

aclnnStatus aclnnAddGetWorkspaceSize(const aclTensor *self, const aclTensor *other, const aclScalar *alpha,
                                     aclTensor *out, uint64_t *ws, aclOpExecutor **ex) {
  double a = 0;
  int rc = scalar_value("aclnnAdd", alpha, &a);
  if (rc) return rc;
  if (!other) return emu_fail(ACLNN_ERR_PARAM_NULLPTR, "aclnnAdd: other is NULL");
  /* ops-math docs/aclnnAdd.md: alpha must cast to the promoted dtype of self and other; a float never casts
   * to an integer type, so integer tensors take an integer alpha. */
  bool integers = self && other && self->magic == TENSOR_MAGIC && other->magic == TENSOR_MAGIC &&
                  (self->dtype == DT_INT32 || self->dtype == DT_INT64) && (other->dtype == DT_INT32 || other->dtype == DT_INT64);
  if (integers && alpha->dtype == DT_FLOAT)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "aclnnAdd: a FLOAT alpha does not cast to the integer dtype of self and other");
  return elementwise("aclnnAdd", 0, self, other, out, a, 0, ws, ex);
}
LAUNCH(aclnnAdd)

aclnnStatus aclnnMulGetWorkspaceSize(const aclTensor *self, const aclTensor *other, aclTensor *out, uint64_t *ws,
                                     aclOpExecutor **ex) {
  if (!other) return emu_fail(ACLNN_ERR_PARAM_NULLPTR, "aclnnMul: other is NULL");
  return elementwise("aclnnMul", 1, self, other, out, 0, 0, ws, ex);
}
LAUNCH(aclnnMul)

aclnnStatus aclnnMulsGetWorkspaceSize(const aclTensor *self, const aclScalar *other, aclTensor *out, uint64_t *ws,
                                      aclOpExecutor **ex) {
  double v = 0;
  int rc = scalar_value("aclnnMuls", other, &v);
  if (rc) return rc;
  return elementwise("aclnnMuls", 2, self, NULL, out, v, 0, ws, ex);
}
LAUNCH(aclnnMuls)

aclnnStatus aclnnTanhGetWorkspaceSize(const aclTensor *self, aclTensor *out, uint64_t *ws, aclOpExecutor **ex) {
  return elementwise("aclnnTanh", 3, self, NULL, out, 0, 0, ws, ex);
}
LAUNCH(aclnnTanh)

aclnnStatus aclnnGeluV2GetWorkspaceSize(const aclTensor *x, int64_t approximate, aclTensor *y, uint64_t *ws,
                                        aclOpExecutor **ex) {
  if (approximate != 0 && approximate != 1)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "aclnnGeluV2: approximate must be 0 (none) or 1 (tanh), is %lld", (long long)approximate);
  return elementwise("aclnnGeluV2", 4, x, NULL, y, 0, approximate, ws, ex);
}
LAUNCH(aclnnGeluV2)

aclnnStatus aclnnCastGetWorkspaceSize(const aclTensor *self, int dtype, aclTensor *out, uint64_t *ws, aclOpExecutor **ex) {
  int rc;
  if ((rc = check_tensor("aclnnCast", "out", out))) return rc;
  if (out->dtype != dtype) return emu_fail(ACLNN_ERR_PARAM_INVALID, "aclnnCast: out is aclDataType %d, not %d", out->dtype, dtype);
  if (self && self->magic == TENSOR_MAGIC && (rc = same_shape("aclnnCast", self, out))) return rc;
  return elementwise("aclnnCast", 5, self, NULL, out, 0, 0, ws, ex);
}
LAUNCH(aclnnCast)

aclnnStatus aclnnInplaceCopyGetWorkspaceSize(aclTensor *selfRef, const aclTensor *src, uint64_t *ws, aclOpExecutor **ex) {
  /* selfRef is written: it is the output; src broadcasts to it. */
  return elementwise("aclnnInplaceCopy", 6, src, NULL, selfRef, 0, 0, ws, ex);
}
LAUNCH(aclnnInplaceCopy)

static void k_matmul(aclOpExecutor *e) {
  /* t0 [b?,n,k], t1 [b?,k,m], t2 out [b?,n,m]; batch dims broadcast when 1 */
  const aclTensor *a = &e->t[0], *b = &e->t[1], *o = &e->t[2];
  char *pa = base_of(a), *pb = base_of(b), *po = base_of(o);
  if (!pa || !pb || !po) return emu_kernel_error("%s: operand memory is gone", e->op);
  int batched = o->ndim == 3;
  int64_t B = batched ? o->dims[0] : 1, N = o->dims[batched], M = o->dims[batched + 1], K = a->dims[batched + 1];
  for (int64_t bi = 0; bi < B; bi++) {
    int64_t oa = a->offset + (batched && a->dims[0] != 1 ? bi * a->strides[0] : 0);
    int64_t ob = b->offset + (batched && b->dims[0] != 1 ? bi * b->strides[0] : 0);
    int64_t oo = o->offset + (batched ? bi * o->strides[0] : 0);
    for (int64_t i = 0; i < N; i++)
      for (int64_t j = 0; j < M; j++) {
        double acc = 0;
        for (int64_t k = 0; k < K; k++)
          acc += get(a, pa, oa + i * a->strides[batched] + k * a->strides[batched + 1]) *
                 get(b, pb, ob + k * b->strides[batched] + j * b->strides[batched + 1]);
        put(o, po, oo + i * o->strides[batched] + j * o->strides[batched + 1], acc);
      }
  }
}

static aclnnStatus matmul(const char *op, int rank, const aclTensor *self, const aclTensor *mat2, const aclTensor *out,
                          int8_t cubeMathType, uint64_t workspace, uint64_t *ws, aclOpExecutor **ex) {
  int rc;
  if ((rc = check_tensor(op, "self", self)) || (rc = check_tensor(op, "mat2", mat2)) || (rc = check_tensor(op, "out", out))) return rc;
  if (self->ndim != rank || mat2->ndim != rank || out->ndim != rank)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: operands must have rank %d", op, rank);
  if ((rc = check_float(op, "self", self)) || (rc = check_float(op, "mat2", mat2)) || (rc = check_float(op, "out", out))) return rc;
  if (self->dtype != mat2->dtype) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: self and mat2 dtypes differ (%d, %d)", op, self->dtype, mat2->dtype);
  if (cubeMathType < 0 || cubeMathType > 3) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: cubeMathType %d", op, cubeMathType);
  int b = rank == 3;
  if (self->dims[b + 1] != mat2->dims[b] || out->dims[b] != self->dims[b] || out->dims[b + 1] != mat2->dims[b + 1])
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: [%lld x %lld] x [%lld x %lld] cannot give [%lld x %lld]", op,
                    (long long)self->dims[b], (long long)self->dims[b + 1], (long long)mat2->dims[b], (long long)mat2->dims[b + 1],
                    (long long)out->dims[b], (long long)out->dims[b + 1]);
  if (b && ((self->dims[0] != out->dims[0] && self->dims[0] != 1) || (mat2->dims[0] != out->dims[0] && mat2->dims[0] != 1)))
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: batch dimensions do not match", op);
  const aclTensor *ts[3] = {self, mat2, out};
  aclOpExecutor *e;
  return make(op, workspace, k_matmul, ts, 3, ws, ex, &e);
}

aclnnStatus aclnnMmGetWorkspaceSize(const aclTensor *self, const aclTensor *mat2, aclTensor *out, int8_t cubeMathType,
                                    uint64_t *ws, aclOpExecutor **ex) {
  return matmul("aclnnMm", 2, self, mat2, out, cubeMathType, 0, ws, ex);
}
LAUNCH(aclnnMm)

aclnnStatus aclnnBatchMatMulGetWorkspaceSize(const aclTensor *self, const aclTensor *mat2, aclTensor *out,
                                             int8_t cubeMathType, uint64_t *ws, aclOpExecutor **ex) {
  /* A workspace is asked for, so the caller's workspace path is exercised. */
  return matmul("aclnnBatchMatMul", 3, self, mat2, out, cubeMathType, 4096, ws, ex);
}
LAUNCH(aclnnBatchMatMul)

/* y = x / Rms(x) * gamma over one row of D values, rstd = 1 / Rms(x) in float32, as RmsNorm and AddRmsNorm
 * define it: x read as float32, the mean of squares in double, each product rounded to float32. With
 * round_normalized, x * rstd is rounded to y's dtype before gamma multiplies it (and the product is rounded
 * again when stored), as the 16-bit AddRmsNorm kernels do. */
static void norm_row(const aclTensor *x, char *px, const aclTensor *g, char *pg, const aclTensor *y, char *py,
                     const aclTensor *r, char *pr, int64_t row, int64_t D, double eps, bool round_normalized) {
  double sum = 0;
  for (int64_t c = 0; c < D; c++) {
    double v = (float)get(x, px, view_offset(x, row * D + c));
    sum += v * v;
  }
  float rstd = (float)(1.0 / sqrt((float)(sum / D) + eps));
  for (int64_t c = 0; c < D; c++) {
    float v = (float)get(x, px, view_offset(x, row * D + c));
    float normalized = v * rstd;
    if (round_normalized && y->dtype == DT_BF16) normalized = bf16_to_float(float_to_bf16(normalized));
    if (round_normalized && y->dtype == DT_FLOAT16) normalized = (float)(_Float16)normalized;
    put(y, py, view_offset(y, row * D + c), normalized * (float)get(g, pg, view_offset(g, c)));
  }
  put(r, pr, view_offset(r, row), rstd);
}

static void k_rmsnorm(aclOpExecutor *e) {
  const aclTensor *x = &e->t[0], *g = &e->t[1], *y = &e->t[2], *r = &e->t[3];
  char *px = base_of(x), *pg = base_of(g), *py = base_of(y), *pr = base_of(r);
  if (!px || !pg || !py || !pr) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t D = x->dims[x->ndim - 1], rows = numel(x) / D;
  for (int64_t row = 0; row < rows; row++) norm_row(x, px, g, pg, y, py, r, pr, row, D, e->d[0], false);
}

aclnnStatus aclnnRmsNormGetWorkspaceSize(const aclTensor *x, const aclTensor *gamma, double epsilon, const aclTensor *yOut,
                                         const aclTensor *rstdOut, uint64_t *ws, aclOpExecutor **ex) {
  const char *op = "aclnnRmsNorm";
  int rc;
  if ((rc = check_tensor(op, "x", x)) || (rc = check_tensor(op, "gamma", gamma)) || (rc = check_tensor(op, "yOut", yOut)) ||
      (rc = check_tensor(op, "rstdOut", rstdOut)))
    return rc;
  if ((rc = same_shape(op, x, yOut)) || (rc = check_float(op, "x", x))) return rc;
  /* aclnnRmsNorm.md: x and y share a dtype; gamma is x's dtype or FLOAT32; inputs must be contiguous. */
  if (yOut->dtype != x->dtype) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: yOut must have x's dtype", op);
  if (gamma->dtype != x->dtype && gamma->dtype != DT_FLOAT)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: gamma must have x's dtype or be FLOAT32", op);
  /* Only the newest ops-nn documents a FLOAT32 gamma with 16-bit x; quirk rmsnorm_same_dtype_gamma models an
   * older CANN that refuses it. */
  if (gamma->dtype != x->dtype && emu_quirk("rmsnorm_same_dtype_gamma"))
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: gamma must have x's dtype (quirk rmsnorm_same_dtype_gamma)", op);
  for (int64_t i = x->ndim - 1, expected = 1; i >= 0; expected *= x->dims[i], i--)
    if (x->dims[i] > 1 && x->strides[i] != expected)
      return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: x must be contiguous (non-contiguous input is not supported)", op);
  int64_t D = x->dims[x->ndim - 1];
  if (numel(gamma) != D) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: gamma has %lld elements, the last dimension %lld", op, (long long)numel(gamma), (long long)D);
  if (rstdOut->dtype != DT_FLOAT || numel(rstdOut) != numel(x) / D)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: rstdOut must be FLOAT with one value per row", op);
  const aclTensor *ts[4] = {x, gamma, yOut, rstdOut};
  aclOpExecutor *e;
  if ((rc = make(op, 0, k_rmsnorm, ts, 4, ws, ex, &e))) return rc;
  e->d[0] = epsilon;
  return 0;
}
LAUNCH(aclnnRmsNorm)

static void k_softmax(aclOpExecutor *e) {
  const aclTensor *x = &e->t[0], *o = &e->t[1];
  char *px = base_of(x), *po = base_of(o);
  if (!px || !po) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t D = x->dims[x->ndim - 1], rows = numel(x) / D;
  for (int64_t row = 0; row < rows; row++) {
    double max = -INFINITY, sum = 0;
    for (int64_t c = 0; c < D; c++) max = fmax(max, get(x, px, view_offset(x, row * D + c)));
    for (int64_t c = 0; c < D; c++) sum += exp(get(x, px, view_offset(x, row * D + c)) - max);
    for (int64_t c = 0; c < D; c++) put(o, po, view_offset(o, row * D + c), exp(get(x, px, view_offset(x, row * D + c)) - max) / sum);
  }
}

aclnnStatus aclnnSoftmaxGetWorkspaceSize(const aclTensor *self, int64_t dim, aclTensor *out, uint64_t *ws, aclOpExecutor **ex) {
  const char *op = "aclnnSoftmax";
  int rc;
  if ((rc = check_tensor(op, "self", self)) || (rc = check_tensor(op, "out", out)) || (rc = same_shape(op, self, out))) return rc;
  if (norm_dim(dim, self->ndim) != self->ndim - 1)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements the last dimension only (dim %lld of rank %d)", op, (long long)dim, self->ndim);
  /* softmax_v2 README: without half_to_float the input and output dtypes must agree; the sum is float32 or wider */
  if (out->dtype != self->dtype) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: out must have self's dtype", op);
  if ((rc = check_dtype(op, "self", self, DTS_FLOATS))) return rc; /* ops-nn activation/softmax_v2 */
  const aclTensor *ts[2] = {self, out};
  aclOpExecutor *e;
  return make(op, 0, k_softmax, ts, 2, ws, ex, &e);
}
LAUNCH(aclnnSoftmax)

static void k_rope(aclOpExecutor *e) {
  /* out = x * cos + rotate_half(x) * sin over the last dimension; cos/sin broadcast to x */
  const aclTensor *x = &e->t[0], *c = &e->t[1], *s = &e->t[2], *o = &e->t[3];
  char *px = base_of(x), *pc = base_of(c), *ps = base_of(s), *po = base_of(o);
  if (!px || !pc || !ps || !po) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t D = x->dims[x->ndim - 1], half = D / 2, n = numel(x);
  for (int64_t k = 0; k < n; k++) {
    int64_t col = k % D;
    int64_t partner = col < half ? k + half : k - half;
    double rotated = col < half ? -get(x, px, view_offset(x, partner)) : get(x, px, view_offset(x, partner));
    double v = (double)(float)(get(x, px, view_offset(x, k)) * get(c, pc, broadcast_offset(c, x, k))) +
               (double)(float)(rotated * get(s, ps, broadcast_offset(s, x, k)));
    put(o, po, view_offset(o, k), v);
  }
}

aclnnStatus aclnnRotaryPositionEmbeddingGetWorkspaceSize(const aclTensor *x, const aclTensor *cos, const aclTensor *sin,
                                                         int64_t mode, aclTensor *out, uint64_t *ws, aclOpExecutor **ex) {
  const char *op = "aclnnRotaryPositionEmbedding";
  int rc;
  if ((rc = check_tensor(op, "x", x)) || (rc = check_tensor(op, "cos", cos)) || (rc = check_tensor(op, "sin", sin)) ||
      (rc = check_tensor(op, "out", out)) || (rc = check_dtype(op, "x", x, DTS_FLOATS)) ||
      (rc = check_dtype(op, "cos", cos, DTS_FLOATS)) || (rc = check_dtype(op, "sin", sin, DTS_FLOATS)) ||
      (rc = check_dtype(op, "out", out, DTS_FLOATS)))
    return rc;
  if (x->ndim != 4) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: x must be 4-D (layout BSND), has rank %d", op, x->ndim);
  if (mode != 0) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements mode 0 (rotate-half) only, not %lld", op, (long long)mode);
  if (x->dims[3] % 2) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the last dimension must be even", op);
  if ((rc = same_shape(op, x, out)) || (rc = broadcastable(op, cos, x)) || (rc = broadcastable(op, sin, x))) return rc;
  const aclTensor *ts[4] = {x, cos, sin, out};
  aclOpExecutor *e;
  return make(op, 0, k_rope, ts, 4, ws, ex, &e);
}
LAUNCH(aclnnRotaryPositionEmbedding)

static void k_gather(aclOpExecutor *e) {
  /* out[i, ...] = self[index[i], ...] along dim 0 (Embedding and IndexSelect) */
  const aclTensor *self = &e->t[0], *idx = &e->t[1], *o = &e->t[2];
  char *ps = base_of(self), *pi = base_of(idx), *po = base_of(o);
  if (!ps || !pi || !po) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t rows = numel(idx), width = numel(self) / self->dims[0];
  for (int64_t r = 0; r < rows; r++) {
    int64_t source = (int64_t)get(idx, pi, view_offset(idx, r));
    if (source < 0 || source >= self->dims[0])
      return emu_kernel_error("%s: index %lld is outside [0, %lld)", e->op, (long long)source, (long long)self->dims[0]);
    for (int64_t c = 0; c < width; c++)
      put(o, po, view_offset(o, r * width + c), get(self, ps, view_offset(self, source * width + c)));
  }
}

static aclnnStatus gather(const char *op, const aclTensor *self, const aclTensor *index, const aclTensor *out, uint64_t *ws,
                          aclOpExecutor **ex) {
  int rc;
  if ((rc = check_tensor(op, "self", self)) || (rc = check_tensor(op, "index", index)) || (rc = check_tensor(op, "out", out))) return rc;
  /* ops-nn index/gather_v2 (IndexSelect), index/embedding: self numbers of every kind, index INT32 or INT64 */
  if ((rc = check_index(op, "index", index)) || (rc = check_dtype(op, "self", self, DTS_NUMBERS))) return rc;
  if (numel(out) != numel(index) * (numel(self) / self->dims[0]))
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: out has %lld elements, %lld expected", op, (long long)numel(out),
                    (long long)(numel(index) * (numel(self) / self->dims[0])));
  if (out->dtype != self->dtype) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: out and self dtypes differ", op);
  const aclTensor *ts[3] = {self, index, out};
  aclOpExecutor *e;
  return make(op, 0, k_gather, ts, 3, ws, ex, &e);
}

aclnnStatus aclnnEmbeddingGetWorkspaceSize(const aclTensor *weight, const aclTensor *indices, const aclTensor *out,
                                           uint64_t *ws, aclOpExecutor **ex) {
  if (weight && weight->magic == TENSOR_MAGIC && weight->ndim != 2)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "aclnnEmbedding: weight must be 2-D");
  return gather("aclnnEmbedding", weight, indices, out, ws, ex);
}
LAUNCH(aclnnEmbedding)

aclnnStatus aclnnIndexSelectGetWorkspaceSize(const aclTensor *self, int64_t dim, const aclTensor *index, aclTensor *out,
                                             uint64_t *ws, aclOpExecutor **ex) {
  if (self && self->magic == TENSOR_MAGIC && norm_dim(dim, self->ndim) != 0)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "aclnnIndexSelect: the emulator implements dim 0 only, not %lld", (long long)dim);
  return gather("aclnnIndexSelect", self, index, out, ws, ex);
}
LAUNCH(aclnnIndexSelect)

static void k_index_copy(aclOpExecutor *e) {
  /* selfRef[index[i], ...] = source[i, ...] along dim 0 */
  const aclTensor *self = &e->t[0], *idx = &e->t[1], *src = &e->t[2];
  char *ps = base_of(self), *pi = base_of(idx), *pr = base_of(src);
  if (!ps || !pi || !pr) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t rows = numel(idx), width = numel(self) / self->dims[0];
  for (int64_t r = 0; r < rows; r++) {
    int64_t target = (int64_t)get(idx, pi, view_offset(idx, r));
    if (target < 0 || target >= self->dims[0])
      return emu_kernel_error("%s: index %lld is outside [0, %lld)", e->op, (long long)target, (long long)self->dims[0]);
    for (int64_t c = 0; c < width; c++)
      put(self, ps, view_offset(self, target * width + c), get(src, pr, view_offset(src, r * width + c)));
  }
}

aclnnStatus aclnnInplaceIndexCopyGetWorkspaceSize(aclTensor *selfRef, int64_t dim, const aclTensor *index,
                                                  const aclTensor *source, uint64_t *ws, aclOpExecutor **ex) {
  const char *op = "aclnnInplaceIndexCopy";
  int rc;
  if ((rc = check_tensor(op, "selfRef", selfRef)) || (rc = check_tensor(op, "index", index)) || (rc = check_tensor(op, "source", source))) return rc;
  /* ops-nn index/scatter_update: selfRef numbers of every kind, index INT32 or INT64 */
  if ((rc = check_index(op, "index", index)) || (rc = check_dtype(op, "selfRef", selfRef, DTS_NUMBERS))) return rc;
  if (norm_dim(dim, selfRef->ndim) != 0) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements dim 0 only", op);
  if (numel(source) != numel(index) * (numel(selfRef) / selfRef->dims[0]))
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: source has %lld elements for %lld index rows", op, (long long)numel(source), (long long)numel(index));
  const aclTensor *ts[3] = {selfRef, index, source};
  aclOpExecutor *e;
  return make(op, 0, k_index_copy, ts, 3, ws, ex, &e);
}
LAUNCH(aclnnInplaceIndexCopy)

static void k_argmax(aclOpExecutor *e) {
  const aclTensor *x = &e->t[0], *o = &e->t[1];
  char *px = base_of(x), *po = base_of(o);
  if (!px || !po) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t D = x->dims[x->ndim - 1], rows = numel(x) / D;
  for (int64_t row = 0; row < rows; row++) {
    int64_t best = 0;
    double bestValue = get(x, px, view_offset(x, row * D));
    for (int64_t c = 1; c < D; c++) {
      double v = get(x, px, view_offset(x, row * D + c));
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    put(o, po, view_offset(o, row), (double)best);
  }
}

aclnnStatus aclnnArgMaxGetWorkspaceSize(const aclTensor *self, int64_t dim, bool keepdim, aclTensor *out, uint64_t *ws,
                                        aclOpExecutor **ex) {
  const char *op = "aclnnArgMax";
  int rc;
  if ((rc = check_tensor(op, "self", self)) || (rc = check_tensor(op, "out", out))) return rc;
  if (norm_dim(dim, self->ndim) != self->ndim - 1)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements the last dimension only", op);
  /* ops-math math/arg_max_v2: self floats or integers, out INT32 or INT64 */
  if ((rc = check_dtype(op, "self", self, DTS_FLOATS | DTS_INTEGERS)) || (rc = check_dtype(op, "out", out, DTS_INDICES))) return rc;
  if (numel(out) != numel(self) / self->dims[self->ndim - 1])
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: out must hold one index per row", op);
  (void)keepdim;
  const aclTensor *ts[2] = {self, out};
  aclOpExecutor *e;
  return make(op, 0, k_argmax, ts, 2, ws, ex, &e);
}
LAUNCH(aclnnArgMax)

/* aclnnMaxDim: the largest value of each row and its index (the first among equals). A NaN counts as the
 * largest (the first NaN is reported), as torch.max(dim) and torch_npu do, so non-finite rows show. */
static void k_max_dim(aclOpExecutor *e) {
  const aclTensor *x = &e->t[0], *o = &e->t[1], *ix = &e->t[2];
  char *px = base_of(x), *po = base_of(o), *pi = base_of(ix);
  if (!px || !po || !pi) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t D = x->dims[x->ndim - 1], rows = numel(x) / D;
  for (int64_t row = 0; row < rows; row++) {
    int64_t best = 0;
    double bestValue = get(x, px, view_offset(x, row * D));
    /* quirk maxdim_skips_nan: a kernel whose comparison skips NaN (the docs do not say NaN is the maximum) */
    bool skip_nan = emu_quirk("maxdim_skips_nan");
    if (skip_nan && isnan(bestValue)) bestValue = -INFINITY;
    for (int64_t c = 1; c < D && !isnan(bestValue); c++) {
      double v = get(x, px, view_offset(x, row * D + c));
      if (skip_nan && isnan(v)) continue;
      if (isnan(v) || v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    put(o, po, view_offset(o, row), bestValue);
    put(ix, pi, view_offset(ix, row), (double)best);
  }
}

aclnnStatus aclnnMaxDimGetWorkspaceSize(const aclTensor *self, int64_t dim, bool keepdim, aclTensor *out,
                                        aclTensor *indices, uint64_t *ws, aclOpExecutor **ex) {
  const char *op = "aclnnMaxDim";
  int rc;
  if ((rc = check_tensor(op, "self", self)) || (rc = check_tensor(op, "out", out)) ||
      (rc = check_tensor(op, "indices", indices)))
    return rc;
  if (norm_dim(dim, self->ndim) != self->ndim - 1)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements the last dimension only", op);
  /* ops-math math/arg_max_with_value: self FLOAT, FLOAT16, BFLOAT16, INT32, INT64 or BOOL; indices INT32 or INT64 */
  if ((rc = check_dtype(op, "self", self, DTS_FLOATS | DTS_INDICES | DT_BIT(DT_BOOL))) ||
      (rc = check_dtype(op, "indices", indices, DTS_INDICES)))
    return rc;
  if (out->dtype != self->dtype) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: out must have self's dtype", op);
  int64_t rows = numel(self) / self->dims[self->ndim - 1];
  if (numel(out) != rows || numel(indices) != rows)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: out and indices must hold one element per row", op);
  (void)keepdim;
  const aclTensor *ts[3] = {self, out, indices};
  aclOpExecutor *e;
  return make(op, 0, k_max_dim, ts, 3, ws, ex, &e);
}
LAUNCH(aclnnMaxDim)

/* aclnnAddRmsNorm (ops-nn norm/add_rms_norm/docs/aclnnAddRmsNorm.md): xOut = x1 + x2 in x1's dtype,
 * yOut = xOut / Rms(xOut) * gamma, rstdOut = 1 / Rms(xOut) in FLOAT32. x1, x2, gamma, yOut and xOut share
 * one dtype (FLOAT32, FLOAT16 or BFLOAT16 on A2/A3). The norm reads the sum as stored in xOut's dtype. The
 * 16-bit kernels (ops-nn norm/add_rms_norm/op_kernel/add_rms_norm.h and its merge_n / multi_n variants) cast
 * xOut * rstd to the 16-bit dtype before multiplying by gamma, and cast the product again: two roundings,
 * where RmsNorm with a FLOAT32 gamma rounds once. */
static void k_add_rmsnorm(aclOpExecutor *e) {
  const aclTensor *a = &e->t[0], *b = &e->t[1], *g = &e->t[2], *y = &e->t[3], *r = &e->t[4], *x = &e->t[5];
  char *pa = base_of(a), *pb = base_of(b), *pg = base_of(g), *py = base_of(y), *pr = base_of(r), *px = base_of(x);
  if (!pa || !pb || !pg || !py || !pr || !px) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t D = a->dims[a->ndim - 1], rows = numel(a) / D;
  for (int64_t row = 0; row < rows; row++) {
    for (int64_t c = 0; c < D; c++) {
      int64_t k = row * D + c;
      put(x, px, view_offset(x, k), get(a, pa, view_offset(a, k)) + get(b, pb, view_offset(b, k)));
    }
    norm_row(x, px, g, pg, y, py, r, pr, row, D, e->d[0], true);
  }
}

aclnnStatus aclnnAddRmsNormGetWorkspaceSize(const aclTensor *x1, const aclTensor *x2, const aclTensor *gamma,
                                            double epsilon, const aclTensor *yOut, const aclTensor *rstdOut,
                                            const aclTensor *xOut, uint64_t *ws, aclOpExecutor **ex) {
  const char *op = "aclnnAddRmsNorm";
  int rc;
  if ((rc = check_tensor(op, "x1", x1)) || (rc = check_tensor(op, "x2", x2)) || (rc = check_tensor(op, "gamma", gamma)) ||
      (rc = check_tensor(op, "yOut", yOut)) || (rc = check_tensor(op, "rstdOut", rstdOut)) || (rc = check_tensor(op, "xOut", xOut)))
    return rc;
  if ((rc = check_float(op, "x1", x1)) || (rc = same_shape(op, x1, x2)) || (rc = same_shape(op, x1, yOut)) ||
      (rc = same_shape(op, x1, xOut)))
    return rc;
  if (x2->dtype != x1->dtype || gamma->dtype != x1->dtype || yOut->dtype != x1->dtype || xOut->dtype != x1->dtype)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: x2, gamma, yOut and xOut must have x1's dtype (%d)", op, x1->dtype);
  int64_t D = x1->dims[x1->ndim - 1];
  if (numel(gamma) != D) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: gamma must cover the last dimension", op);
  if (rstdOut->dtype != DT_FLOAT || numel(rstdOut) != numel(x1) / D)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: rstdOut must be FLOAT32 with one value per row", op);
  if (epsilon < 0) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: epsilon must not be negative", op);
  const aclTensor *ts[6] = {x1, x2, gamma, yOut, rstdOut, xOut};
  aclOpExecutor *e;
  if ((rc = make(op, 0, k_add_rmsnorm, ts, 6, ws, ex, &e))) return rc;
  e->d[0] = epsilon;
  return 0;
}
LAUNCH(aclnnAddRmsNorm)

/* aclnnGeGluV3 (ops-nn): self is split in two halves A | B along dim; with activateLeft, outGelu = gelu(A)
 * and out = gelu(A) * B, each in self's dtype (approximate 1 = tanh, 0 = erf). */
static void k_geglu(aclOpExecutor *e) {
  const aclTensor *x = &e->t[0], *o = &e->t[1], *g = &e->t[2];
  char *px = base_of(x), *po = base_of(o), *pg = base_of(g);
  if (!px || !po || !pg) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t width = x->dims[x->ndim - 1], half = width / 2, rows = numel(x) / width;
  int left = e->i[1] != 0;
  for (int64_t row = 0; row < rows; row++)
    for (int64_t c = 0; c < half; c++) {
      double a = get(x, px, view_offset(x, row * width + (left ? c : half + c)));
      double b = get(x, px, view_offset(x, row * width + (left ? half + c : c)));
      double gelu = e->i[0] == 1 ? 0.5 * a * (1 + tanh(sqrt(2 / M_PI) * (a + 0.044715 * a * a * a))) : 0.5 * a * (1 + erf(a / sqrt(2)));
      put(g, pg, view_offset(g, row * half + c), gelu);
      put(o, po, view_offset(o, row * half + c), get(g, pg, view_offset(g, row * half + c)) * b);
    }
}

aclnnStatus aclnnGeGluV3GetWorkspaceSize(const aclTensor *self, int64_t dim, int64_t approximate, bool activateLeft,
                                         aclTensor *out, aclTensor *outGelu, uint64_t *ws, aclOpExecutor **ex) {
  const char *op = "aclnnGeGluV3";
  int rc;
  if ((rc = check_tensor(op, "self", self)) || (rc = check_tensor(op, "out", out)) || (rc = check_tensor(op, "outGelu", outGelu)))
    return rc;
  if ((rc = check_float(op, "self", self))) return rc;
  if (norm_dim(dim, self->ndim) != self->ndim - 1)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements the last dimension only", op);
  if (approximate != 0 && approximate != 1) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: approximate must be 0 or 1", op);
  int64_t width = self->dims[self->ndim - 1];
  if (width % 2) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the split dimension must be even", op);
  if (out->dtype != self->dtype || outGelu->dtype != self->dtype)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: out and outGelu must have self's dtype", op);
  if ((rc = same_shape(op, out, outGelu))) return rc;
  if (out->ndim != self->ndim || numel(out) * 2 != numel(self) || out->dims[out->ndim - 1] * 2 != width)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: out must be self with the split dimension halved", op);
  const aclTensor *ts[3] = {self, out, outGelu};
  aclOpExecutor *e;
  if ((rc = make(op, 0, k_geglu, ts, 3, ws, ex, &e))) return rc;
  e->i[0] = approximate;
  e->i[1] = activateLeft;
  return 0;
}
LAUNCH(aclnnGeGluV3)

/* aclnnScatterPaKvCache (ops-transformer attention/scatter_pa_kv_cache), "Norm" mode: key [tokens, N, Dk] and
 * value [tokens, N, Dv] go to keyCacheRef / valueCacheRef [blocks, blockSize, N, D] at slot slotMapping[t]
 * (block slot / blockSize, offset slot % blockSize); a negative slot is skipped. The compression inputs and
 * strides/offsets must be NULL: the emulator implements that scenario only. */
static void k_scatter_kv(aclOpExecutor *e) {
  for (int which = 0; which < 2; which++) {
    const aclTensor *src = &e->t[which ? 3 : 0], *cache = &e->t[which ? 4 : 1], *slots = &e->t[2];
    char *ps = base_of(src), *pc = base_of(cache), *pm = base_of(slots);
    if (!ps || !pc || !pm) return emu_kernel_error("%s: operand memory is gone", e->op);
    int64_t tokens = src->dims[0], width = src->dims[1] * src->dims[2];
    int64_t block = cache->dims[1], capacity = cache->dims[0] * block;
    for (int64_t t = 0; t < tokens; t++) {
      int64_t slot = (int64_t)get(slots, pm, view_offset(slots, t));
      if (slot < 0) continue;
      if (slot >= capacity)
        return emu_kernel_error("%s: slot %lld is outside the cache's %lld", e->op, (long long)slot, (long long)capacity);
      for (int64_t c = 0; c < width; c++)
        put(cache, pc, view_offset(cache, slot * width + c), get(src, ps, view_offset(src, t * width + c)));
    }
  }
}

aclnnStatus aclnnScatterPaKvCacheGetWorkspaceSize(const aclTensor *key, aclTensor *keyCacheRef, const aclTensor *slotMapping,
                                                  const aclTensor *value, aclTensor *valueCacheRef,
                                                  const aclTensor *compressLensOptional,
                                                  const aclTensor *compressSeqOffsetOptional,
                                                  const aclTensor *seqLensOptional, char *cacheModeOptional,
                                                  char *scatterModeOptional, const aclIntArray *stridesOptional,
                                                  const aclIntArray *offsetsOptional, uint64_t *ws, aclOpExecutor **ex) {
  const char *op = "aclnnScatterPaKvCache";
  int rc;
  if ((rc = check_tensor(op, "key", key)) || (rc = check_tensor(op, "keyCacheRef", keyCacheRef)) ||
      (rc = check_tensor(op, "slotMapping", slotMapping)) || (rc = check_tensor(op, "value", value)) ||
      (rc = check_tensor(op, "valueCacheRef", valueCacheRef)))
    return rc;
  if (compressLensOptional || compressSeqOffsetOptional || seqLensOptional || stridesOptional || offsetsOptional)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements the scenario without compression, strides or offsets", op);
  if (cacheModeOptional && strcmp(cacheModeOptional, "Norm"))
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements cacheMode \"Norm\" only, not \"%s\"", op, cacheModeOptional);
  if (scatterModeOptional && strcmp(scatterModeOptional, "None"))
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements scatterMode \"None\" only", op);
  if ((rc = check_index(op, "slotMapping", slotMapping))) return rc;
  const aclTensor *pairs[2][2] = {{key, keyCacheRef}, {value, valueCacheRef}};
  const char *names[2] = {"key", "value"};
  for (int i = 0; i < 2; i++) {
    const aclTensor *src = pairs[i][0], *cache = pairs[i][1];
    /* ops-transformer attention/scatter_pa_kv_cache/docs/aclnnScatterPaKvCache.md and op_host/scatter_pa_kv_cache_def.cpp:
     * on Atlas A2/A3 key, value and both caches are FLOAT16, BFLOAT16 or INT8 (no FLOAT32); with scatterMode
     * "None" the inputs are read as contiguous [tokens, heads, headDim] (vllm-ascend makes them contiguous). */
    if (src->dtype != DT_FLOAT16 && src->dtype != DT_BF16 && src->dtype != DT_INT8)
      return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: %s must be FLOAT16, BFLOAT16 or INT8 on Atlas A2/A3, is aclDataType %d", op,
                      names[i], src->dtype);
    if (!is_contiguous(src))
      return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: %s must be contiguous (scatterMode \"None\")", op, names[i]);
    if (src->ndim != 3 || cache->ndim != 4)
      return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: key/value must be [tokens, heads, headDim] and caches [blocks, blockSize, heads, headDim]", op);
    if (cache->dims[2] != src->dims[1] || cache->dims[3] != src->dims[2])
      return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the cache's heads and head size differ from the input's", op);
    if (cache->dtype != src->dtype) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: a cache and its input differ in dtype", op);
    if (numel(slotMapping) != src->dims[0])
      return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: slotMapping needs one slot per token", op);
  }
  const aclTensor *ts[5] = {key, keyCacheRef, slotMapping, value, valueCacheRef};
  aclOpExecutor *e;
  return make(op, 0, k_scatter_kv, ts, 5, ws, ex, &e);
}
LAUNCH(aclnnScatterPaKvCache)

/* aclnnIncreFlashAttentionV4 (ops-transformer attention/incre_flash_attention), page attention with the BSH
 * layout: one query row per sequence, query [B, 1, N*D]; key and value lists of one cache each,
 * [blockNum, blockSize, KV_N*D]; blocktable INT32 [B, >= maxBlockNumPerSeq]; actualSeqLengths (host) the keys
 * of each sequence, read through its block table from position 0; attenMask (optional, BOOL/INT8/UINT8,
 * true = masked, "IFA算子设计介绍.md") [B, S], [B, 1, S] or [B, 1, 1, S] with S >= maxBlockNumPerSeq * blockSize.
 * out = softmax(q k^T * scaleValue, masked) v per head, query head n reading KV head n / (N / KV_N); the
 * emulator computes in double and rounds once to the output dtype. pseShift, the quantization inputs and
 * kvPaddingSize must be NULL: the emulator implements that scenario only. */
static void k_incre_flash_attention(aclOpExecutor *e) {
  const aclTensor *q = &e->t[0], *k = &e->t[1], *v = &e->t[2], *mask = &e->t[3], *table = &e->t[4], *out = &e->t[5];
  bool masked = e->i[3] != 0;
  char *pq = base_of(q), *pk = base_of(k), *pv = base_of(v), *pt = base_of(table), *po = base_of(out);
  char *pm = masked ? base_of(mask) : NULL;
  if (!pq || !pk || !pv || !pt || !po || (masked && !pm)) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t batch = q->dims[0], heads = e->i[0], kvHeads = e->i[1], block = e->i[2];
  int64_t dim = q->dims[2] / heads, width = table->dims[1], maskKeys = masked ? mask->dims[mask->ndim - 1] : 0;
  int64_t blocks = k->dims[0], kvWidth = kvHeads * dim;
  for (int64_t b = 0; b < batch; b++) {
    int64_t keys = e->lengths[b];
    double *w = calloc((size_t)(keys > 0 ? keys : 1), sizeof(double));
    for (int64_t n = 0; n < heads; n++) {
      int64_t kv = n / (heads / kvHeads);
      double max = -INFINITY;
      for (int64_t p = 0; p < keys; p++) {
        if (masked && get(mask, pm, view_offset(mask, b * maskKeys + p)) != 0) {
          w[p] = -INFINITY;
          continue;
        }
        int64_t slot = (int64_t)get(table, pt, view_offset(table, b * width + p / block));
        if (slot < 0 || slot >= blocks) {
          free(w);
          return emu_kernel_error("%s: sequence %lld reads block %lld for key %lld, outside the cache's %lld blocks", e->op,
                                  (long long)b, (long long)slot, (long long)p, (long long)blocks);
        }
        int64_t row = (slot * block + p % block) * kvWidth + kv * dim;
        double dot = 0;
        for (int64_t d = 0; d < dim; d++)
          dot += get(q, pq, view_offset(q, b * heads * dim + n * dim + d)) * get(k, pk, view_offset(k, row + d));
        w[p] = dot * e->d[0];
        if (w[p] > max) max = w[p];
      }
      if (max == -INFINITY) {
        free(w);
        return emu_kernel_error("%s: sequence %lld has no unmasked key", e->op, (long long)b);
      }
      double total = 0;
      for (int64_t p = 0; p < keys; p++) total += w[p] = w[p] == -INFINITY ? 0 : exp(w[p] - max);
      for (int64_t d = 0; d < dim; d++) {
        double acc = 0;
        for (int64_t p = 0; p < keys; p++) {
          if (w[p] == 0) continue;
          int64_t slot = (int64_t)get(table, pt, view_offset(table, b * width + p / block));
          acc += w[p] / total * get(v, pv, view_offset(v, (slot * block + p % block) * kvWidth + kv * dim + d));
        }
        put(out, po, view_offset(out, b * heads * dim + n * dim + d), acc);
      }
    }
    free(w);
  }
}

aclnnStatus aclnnIncreFlashAttentionV4GetWorkspaceSize(
    const aclTensor *query, const aclTensorList *key, const aclTensorList *value, const aclTensor *pseShift,
    const aclTensor *attenMask, const aclIntArray *actualSeqLengths, const aclTensor *dequantScale1,
    const aclTensor *quantScale1, const aclTensor *dequantScale2, const aclTensor *quantScale2,
    const aclTensor *quantOffset2, const aclTensor *antiquantScale, const aclTensor *antiquantOffset,
    const aclTensor *blocktable, const aclTensor *kvPaddingSize, int64_t numHeads, double scaleValue, char *inputLayout,
    int64_t numKeyValueHeads, int64_t blockSize, int64_t innerPrecise, const aclTensor *attentionOut, uint64_t *ws,
    aclOpExecutor **ex) {
  const char *op = "aclnnIncreFlashAttentionV4";
  int rc;
  if ((rc = check_tensor(op, "query", query)) || (rc = check_tensor(op, "blocktable", blocktable)) ||
      (rc = check_tensor(op, "attentionOut", attentionOut)))
    return rc;
  if (attenMask && (rc = check_tensor(op, "attenMask", attenMask))) return rc;
  if (pseShift || dequantScale1 || quantScale1 || dequantScale2 || quantScale2 || quantOffset2 || antiquantScale ||
      antiquantOffset || kvPaddingSize)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements page attention without pseShift, quantization or kv padding", op);
  if (!inputLayout || strcmp(inputLayout, "BSH"))
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements inputLayout \"BSH\" only", op);
  if (!emu_is_tensor_list(key) || !emu_is_tensor_list(value) || key->size != 1 || value->size != 1)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: key and value must be tensor lists of one cache each (page attention)", op);
  const aclTensor *k = key->tensors[0], *v = value->tensors[0];
  /* aclnnIncreFlashAttentionV4.md, 约束说明 (Atlas A2): query FLOAT16 or BFLOAT16; key, value and attentionOut
   * FLOAT16, BFLOAT16 or INT8 (the emulator: the query's dtype); B <= 65536, N <= 256, D <= 512; numHeads a
   * multiple of numKeyValueHeads, at most 64 times it. */
  if ((rc = check_dtype(op, "query", query, DT_BIT(DT_FLOAT16) | DT_BIT(DT_BF16)))) return rc;
  if (k->dtype != query->dtype || v->dtype != query->dtype || attentionOut->dtype != query->dtype)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: key, value and attentionOut must have the query's dtype in the emulator", op);
  if (query->ndim != 3 || query->dims[1] != 1)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: query must be [B, 1, H] (BSH, S = 1: incremental inference)", op);
  if ((rc = same_shape(op, query, attentionOut))) return rc;
  if (numHeads < 1 || numKeyValueHeads < 1 || numHeads % numKeyValueHeads || numHeads / numKeyValueHeads > 64)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: numHeads %lld must be a multiple of numKeyValueHeads %lld, at most 64 times it", op,
                    (long long)numHeads, (long long)numKeyValueHeads);
  int64_t batch = query->dims[0], dim = query->dims[2] / numHeads;
  if (query->dims[2] % numHeads || batch > 65536 || numHeads > 256 || dim > 512)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: B <= 65536, N <= 256 and D <= 512 with H = N * D (B %lld, N %lld, H %lld)", op,
                    (long long)batch, (long long)numHeads, (long long)query->dims[2]);
  /* page attention: blockSize non-zero, at most 512, a multiple of 16 for FLOAT16/BFLOAT16; the caches
   * (blockNum, blockSize, H) for BSH, KV_N * D below 64K; blockTable two-dimensional with B rows; actualSeqLengths
   * required. */
  if (blockSize < 1 || blockSize > 512 || blockSize % 16)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: blockSize %lld must be 16 to 512, a multiple of 16 (FLOAT16/BFLOAT16)", op,
                    (long long)blockSize);
  if (innerPrecise != 0 && innerPrecise != 1)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: innerPrecise is 0 (high precision) or 1 (high performance)", op);
  if (k->ndim != 3 || (rc = same_shape(op, k, v)) || k->dims[1] != blockSize || k->dims[2] != numKeyValueHeads * dim)
    return rc ? rc : emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: key and value caches must be [blockNum, blockSize, KV_N * D]", op);
  if (k->dims[2] >= 65536)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: numKvHeads * headDim must stay below 64K in the (blocknum, blocksize, H) layout", op);
  if (!is_contiguous(k) || !is_contiguous(v) || !is_contiguous(query))
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: query and the caches must be contiguous", op);
  if (blocktable->dtype != DT_INT32 || blocktable->ndim != 2 || blocktable->dims[0] != batch)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: blocktable must be INT32 [B, maxBlockNumPerSeq]", op);
  if (!actualSeqLengths || (int64_t)actualSeqLengths->size != batch)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: page attention needs actualSeqLengths, one per sequence", op);
  int64_t longest = 0;
  for (int64_t b = 0; b < batch; b++) {
    int64_t keys = actualSeqLengths->values[b];
    if (keys < 1) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: actualSeqLengths[%lld] is %lld", op, (long long)b, (long long)keys);
    if (keys > longest) longest = keys;
  }
  int64_t maxBlocks = (longest + blockSize - 1) / blockSize, needed = 0;
  for (int64_t b = 0; b < batch; b++) needed += (actualSeqLengths->values[b] + blockSize - 1) / blockSize;
  if (needed > k->dims[0])
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: blocknum (%lld) is less than the %lld blocks actualSeqLengths needs", op,
                    (long long)k->dims[0], (long long)needed);
  if (blocktable->dims[1] < maxBlocks)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: blocktable holds %lld blocks per sequence, %lld needed", op,
                    (long long)blocktable->dims[1], (long long)maxBlocks);
  if (attenMask) {
    if ((rc = check_dtype(op, "attenMask", attenMask, DT_BIT(DT_BOOL) | DT_BIT(DT_INT8) | DT_BIT(DT_UINT8)))) return rc;
    int64_t s = attenMask->dims[attenMask->ndim - 1];
    bool shaped = attenMask->dims[0] == batch && attenMask->ndim >= 2 && attenMask->ndim <= 4;
    for (int i = 1; shaped && i < attenMask->ndim - 1; i++) shaped = attenMask->dims[i] == 1;
    if (!shaped) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: attenMask must be (B, S), (B, 1, S) or (B, 1, 1, S)", op);
    if (s < maxBlocks * blockSize)
      return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: with page attention attenMask's S (%lld) must be at least maxBlockNumPerSeq * blockSize (%lld)",
                      op, (long long)s, (long long)(maxBlocks * blockSize));
  }
  aclTensor none = {0};
  const aclTensor *ts[6] = {query, k, v, attenMask ? attenMask : &none, blocktable, attentionOut};
  aclOpExecutor *e;
  if ((rc = make(op, 0, k_incre_flash_attention, ts, 6, ws, ex, &e))) return rc;
  e->i[0] = numHeads;
  e->i[1] = numKeyValueHeads;
  e->i[2] = blockSize;
  e->i[3] = attenMask != NULL;
  e->d[0] = scaleValue;
  e->lengths = malloc((size_t)batch * sizeof(int64_t));
  memcpy(e->lengths, actualSeqLengths->values, (size_t)batch * sizeof(int64_t));
  return 0;
}
LAUNCH(aclnnIncreFlashAttentionV4)

/* ---- device sampling ---- */

/* aclnnSort (ops-math): values and int64 indices of self sorted along the last dimension; stable keeps
 * equal values in index order (descending too, as torch.sort(stable=True) does). NaN sorts as largest. */
static const aclTensor *sort_self;
static char *sort_base;
static int64_t sort_row;
static int sort_descending;
static int sort_unstable;

static double sort_value(int64_t i) {
  double v = get(sort_self, sort_base, view_offset(sort_self, sort_row + i));
  return isnan(v) ? INFINITY : v;
}

static void k_sort(aclOpExecutor *e) {
  const aclTensor *x = &e->t[0], *vo = &e->t[1], *io = &e->t[2];
  char *px = base_of(x), *pv = base_of(vo), *pi = base_of(io);
  if (!px || !pv || !pi) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t D = x->dims[x->ndim - 1], rows = numel(x) / D;
  int64_t *order = malloc((size_t)D * sizeof *order), *tmp = malloc((size_t)D * sizeof *tmp);
  sort_self = x;
  sort_base = px;
  sort_descending = e->i[0] != 0;
  sort_unstable = emu_quirk("unstable_sort");
  for (int64_t row = 0; row < rows; row++) {
    sort_row = row * D;
    for (int64_t i = 0; i < D; i++) order[i] = i;
    /* bottom-up merge sort: stable */
    for (int64_t width = 1; width < D; width *= 2) {
      for (int64_t lo = 0; lo < D; lo += 2 * width) {
        int64_t mid = lo + width < D ? lo + width : D, hi = lo + 2 * width < D ? lo + 2 * width : D, a = lo, b = mid, k = lo;
        while (a < mid && b < hi) {
          double va = sort_value(order[a]), vb = sort_value(order[b]);
          /* quirk unstable_sort: equal values come out in reverse index order, as an unstable kernel may */
          int takeB = sort_descending ? vb > va : vb < va;
          if (va == vb && sort_unstable) takeB = 1;
          tmp[k++] = takeB ? order[b++] : order[a++];
        }
        while (a < mid) tmp[k++] = order[a++];
        while (b < hi) tmp[k++] = order[b++];
      }
      memcpy(order, tmp, (size_t)D * sizeof *order);
    }
    for (int64_t i = 0; i < D; i++) {
      put(vo, pv, view_offset(vo, row * D + i), get(x, px, view_offset(x, row * D + order[i])));
      put(io, pi, view_offset(io, row * D + i), (double)order[i]);
    }
  }
  free(order);
  free(tmp);
}

aclnnStatus aclnnSortGetWorkspaceSize(const aclTensor *self, bool stable, int64_t dim, bool descending, aclTensor *valuesOut,
                                      aclTensor *indicesOut, uint64_t *ws, aclOpExecutor **ex) {
  const char *op = "aclnnSort";
  int rc;
  if ((rc = check_tensor(op, "self", self)) || (rc = check_tensor(op, "valuesOut", valuesOut)) ||
      (rc = check_tensor(op, "indicesOut", indicesOut)))
    return rc;
  if ((rc = same_shape(op, self, valuesOut)) || (rc = same_shape(op, self, indicesOut))) return rc;
  if (norm_dim(dim, self->ndim) != self->ndim - 1)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements the last dimension only", op);
  if ((rc = check_dtype(op, "self", self, DTS_NUMBERS))) return rc; /* ops-math math/sort */
  if (valuesOut->dtype != self->dtype || indicesOut->dtype != DT_INT64)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: valuesOut must have self's dtype and indicesOut INT64", op);
  (void)stable; /* the emulator's sort is always stable */
  const aclTensor *ts[3] = {self, valuesOut, indicesOut};
  aclOpExecutor *e;
  if ((rc = make(op, 0, k_sort, ts, 3, ws, ex, &e))) return rc;
  e->i[0] = descending;
  return 0;
}
LAUNCH(aclnnSort)

/* aclnnCumsum (ops-math): running sums along the last dimension, accumulated in out's dtype. */
static void k_cumsum(aclOpExecutor *e) {
  const aclTensor *x = &e->t[0], *o = &e->t[1];
  char *px = base_of(x), *po = base_of(o);
  if (!px || !po) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t D = x->dims[x->ndim - 1], rows = numel(x) / D;
  for (int64_t row = 0; row < rows; row++) {
    float sum = 0;
    for (int64_t c = 0; c < D; c++) {
      sum += (float)get(x, px, view_offset(x, row * D + c));
      put(o, po, view_offset(o, row * D + c), sum);
    }
  }
}

aclnnStatus aclnnCumsumGetWorkspaceSize(const aclTensor *self, int64_t dim, int dtype, aclTensor *out, uint64_t *ws,
                                        aclOpExecutor **ex) {
  const char *op = "aclnnCumsum";
  int rc;
  if ((rc = check_tensor(op, "self", self)) || (rc = check_tensor(op, "out", out)) || (rc = same_shape(op, self, out))) return rc;
  if (norm_dim(dim, self->ndim) != self->ndim - 1)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements the last dimension only", op);
  if (out->dtype != dtype) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: out must be the requested dtype", op);
  /* ops-math math/cumsum: floats or integers, no BOOL */
  if ((rc = check_dtype(op, "self", self, DTS_FLOATS | DTS_INTEGERS)) || (rc = check_dtype(op, "out", out, DTS_FLOATS | DTS_INTEGERS)))
    return rc;
  const aclTensor *ts[2] = {self, out};
  aclOpExecutor *e;
  return make(op, 0, k_cumsum, ts, 2, ws, ex, &e);
}
LAUNCH(aclnnCumsum)

/* aclnnLtTensor / aclnnGeTensor (ops-math): self < other, self >= other, broadcast to out (BOOL, or a
 * float dtype holding 0 and 1). */
static void k_compare(aclOpExecutor *e) {
  const aclTensor *a = &e->t[0], *b = &e->t[1], *o = &e->t[2];
  char *pa = base_of(a), *pb = base_of(b), *po = base_of(o);
  if (!pa || !pb || !po) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t n = numel(o);
  for (int64_t k = 0; k < n; k++) {
    double x = get(a, pa, broadcast_offset(a, o, k)), y = get(b, pb, broadcast_offset(b, o, k));
    put(o, po, view_offset(o, k), e->i[0] ? x >= y : x < y);
  }
}

static aclnnStatus compare(const char *op, int ge, const aclTensor *self, const aclTensor *other, aclTensor *out, uint64_t *ws,
                           aclOpExecutor **ex) {
  int rc;
  if ((rc = check_tensor(op, "self", self)) || (rc = check_tensor(op, "other", other)) || (rc = check_tensor(op, "out", out))) return rc;
  if ((rc = broadcastable(op, self, out)) || (rc = broadcastable(op, other, out))) return rc;
  /* ops-math math/less, math/greater_equal: self and other numbers of every kind; out any type BOOL converts to */
  if ((rc = check_dtype(op, "self", self, DTS_NUMBERS)) || (rc = check_dtype(op, "other", other, DTS_NUMBERS)) ||
      (rc = check_dtype(op, "out", out, DTS_NUMBERS)))
    return rc;
  const aclTensor *ts[3] = {self, other, out};
  aclOpExecutor *e;
  if ((rc = make(op, 0, k_compare, ts, 3, ws, ex, &e))) return rc;
  e->i[0] = ge;
  return 0;
}

aclnnStatus aclnnLtTensorGetWorkspaceSize(const aclTensor *self, const aclTensor *other, aclTensor *out, uint64_t *ws, aclOpExecutor **ex) {
  return compare("aclnnLtTensor", 0, self, other, out, ws, ex);
}
LAUNCH(aclnnLtTensor)

aclnnStatus aclnnGeTensorGetWorkspaceSize(const aclTensor *self, const aclTensor *other, aclTensor *out, uint64_t *ws, aclOpExecutor **ex) {
  return compare("aclnnGeTensor", 1, self, other, out, ws, ex);
}
LAUNCH(aclnnGeTensor)

/* aclnnWeightQuantBatchMatmulV2 (ops-nn matmul/weight_quant_batch_matmul_v2), the weight-only case:
 * y = x @ ((weight + antiquantOffset) * antiquantScale). x [m, k] FLOAT16 or BFLOAT16, weight [k, n] INT8 or
 * INT4 (ND, not transposed), antiquantScale and antiquantOffset in x's dtype, (n,) or (1, n) per channel
 * (antiquantGroupSize 0) or (ceil(k / group), n) per group (group a multiple of 32 in [32, k - 1]);
 * y [m, n] in x's dtype. The dequantized weight is rounded to x's dtype, products summed in double. */
static void k_weight_quant_mm(aclOpExecutor *e) {
  const aclTensor *x = &e->t[0], *w = &e->t[1], *s = &e->t[2], *o = &e->t[3], *y = &e->t[4];
  int hasOffset = e->i[1] != 0;
  char *px = base_of(x), *pw = base_of(w), *ps = base_of(s), *po = hasOffset ? base_of(o) : NULL, *py = base_of(y);
  if (!px || !pw || !ps || !py || (hasOffset && !po)) return emu_kernel_error("%s: operand memory is gone", e->op);
  int64_t m = x->dims[0], k = x->dims[1], n = w->dims[1], group = e->i[0];
  aclTensor rounding = *x; /* the dequantized weight is held in x's dtype */
  char scratch[8];
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double acc = 0;
      for (int64_t c = 0; c < k; c++) {
        int64_t g = group > 0 ? c / group : 0;
        int64_t at = s->ndim == 2 ? g * n + j : j;
        double q = get(w, pw, view_offset(w, c * n + j));
        double offset = hasOffset ? get(o, po, view_offset(o, at)) : 0;
        put(&rounding, scratch, 0, (q + offset) * get(s, ps, view_offset(s, at)));
        acc += get(x, px, view_offset(x, i * k + c)) * get(&rounding, scratch, 0);
      }
      put(y, py, view_offset(y, i * n + j), acc);
    }
}

aclnnStatus aclnnWeightQuantBatchMatmulV2GetWorkspaceSize(const aclTensor *x, const aclTensor *weight,
                                                          const aclTensor *antiquantScale, const aclTensor *antiquantOffsetOptional,
                                                          const aclTensor *quantScaleOptional, const aclTensor *quantOffsetOptional,
                                                          const aclTensor *biasOptional, int antiquantGroupSize, const aclTensor *y,
                                                          uint64_t *ws, aclOpExecutor **ex) {
  const char *op = "aclnnWeightQuantBatchMatmulV2";
  int rc;
  if ((rc = check_tensor(op, "x", x)) || (rc = check_tensor(op, "weight", weight)) ||
      (rc = check_tensor(op, "antiquantScale", antiquantScale)) || (rc = check_tensor(op, "y", y)))
    return rc;
  if (antiquantOffsetOptional && (rc = check_tensor(op, "antiquantOffset", antiquantOffsetOptional))) return rc;
  if (quantScaleOptional || quantOffsetOptional || biasOptional)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements the weight-only case (no quantScale, quantOffset or bias)", op);
  if (x->dtype != DT_FLOAT16 && x->dtype != DT_BF16)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: x must be FLOAT16 or BFLOAT16, is aclDataType %d", op, x->dtype);
  if (weight->dtype != DT_INT8 && weight->dtype != DT_INT4)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the emulator implements INT8 and INT4 weights, not aclDataType %d", op, weight->dtype);
  if (x->ndim != 2 || weight->ndim != 2 || y->ndim != 2)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: x, weight and y must be 2-D", op);
  int64_t m = x->dims[0], k = x->dims[1], n = weight->dims[1];
  if (weight->dims[0] != k || y->dims[0] != m || y->dims[1] != n)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: [%lld x %lld] @ [%lld x %lld] cannot give [%lld x %lld]", op, (long long)m,
                    (long long)k, (long long)weight->dims[0], (long long)n, (long long)y->dims[0], (long long)y->dims[1]);
  if (k < 1 || k > 65535 || n < 1 || n > 65535) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: k and n must be in [1, 65535]", op);
  if (x->strides[1] != 1 || x->strides[0] != k || weight->strides[1] != 1 || weight->strides[0] != n)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: x and weight must be contiguous (not transposed)", op);
  if (weight->dtype == DT_INT4 && n % 2) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: an INT4 weight's inner dimension must be even", op);
  if (y->dtype != x->dtype || antiquantScale->dtype != x->dtype || (antiquantOffsetOptional && antiquantOffsetOptional->dtype != x->dtype))
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: y, antiquantScale and antiquantOffset must have x's dtype", op);
  if (antiquantOffsetOptional && (rc = same_shape(op, antiquantScale, antiquantOffsetOptional))) return rc;
  if (antiquantGroupSize == 0) {
    if (numel(antiquantScale) != n || antiquantScale->dims[antiquantScale->ndim - 1] != n)
      return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: a per-channel antiquantScale is (n,) or (1, n)", op);
  } else {
    if (antiquantGroupSize % 32 || antiquantGroupSize < 32 || antiquantGroupSize > k - 1)
      return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: antiquantGroupSize %d must be a multiple of 32 in [32, k - 1 = %lld]", op,
                      antiquantGroupSize, (long long)(k - 1));
    if (antiquantScale->ndim != 2 || antiquantScale->dims[0] != (k + antiquantGroupSize - 1) / antiquantGroupSize || antiquantScale->dims[1] != n)
      return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: a per-group antiquantScale is (ceil(k / group), n)", op);
  }
  const aclTensor *ts[5] = {x, weight, antiquantScale, antiquantOffsetOptional ? antiquantOffsetOptional : antiquantScale, y};
  aclOpExecutor *e;
  if ((rc = make(op, 0, k_weight_quant_mm, ts, 5, ws, ex, &e))) return rc;
  e->i[0] = antiquantGroupSize;
  e->i[1] = antiquantOffsetOptional != NULL;
  return 0;
}
LAUNCH(aclnnWeightQuantBatchMatmulV2)
