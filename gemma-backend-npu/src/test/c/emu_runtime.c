/* libascendcl.so of the emulator: the runtime (aclInit, aclrt*) and the state the other libraries share. */
#define _GNU_SOURCE
#include "emu.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HANDLE_BASE 0x5A5A000000000000ULL /* non-canonical on x86-64 and aarch64: never dereferenceable */

typedef struct allocation {
  char *real;
  size_t size;
  uintptr_t handle;
  struct allocation *next;
} allocation;

/* A captured graph (aclmdlRI): the executors enqueued between CaptureBegin and CaptureEnd, kept to be run
 * again at every ExecuteAsync. */
typedef struct graph {
  int magic;
  aclOpExecutor *head, *tail;
} graph;

typedef struct stream {
  int magic;
  int device;
  aclOpExecutor *head, *tail;
  graph *capturing; /* non-NULL between aclmdlRICaptureBegin and aclmdlRICaptureEnd */
} stream;

#define GRAPH_MAGIC 0x6A4F
static __thread int capturing_here; /* this thread has a stream in capture (thread-local mode) */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static allocation *allocations;
static uintptr_t next_handle = HANDLE_BASE;
static size_t allocated;
static int initialized;
static __thread int current_device = -1;
static __thread char last_error[1024];
static __thread char kernel_error[1024];

/* emulator.conf beside lib64/: device_count, hbm_total_mb, soc_name, fail_op */
static struct {
  int loaded;
  int device_count;
  size_t hbm_total;
  char soc_name[256];
  char fail_op[256];
  int fail_op_count; /* fail the first N calls of fail_op; 0 fails every call */
  char quirks[512];  /* behaviours a CANN might have that its docs do not settle, for the probes' fallbacks */
} conf;

/* What the device was asked to do: emu_counters() reports it for tests to compare with the Java side. */
static struct {
  int64_t launches, syncs, h2d_bytes, d2h_bytes, allocations, live_executors, graph_captures, graph_replays,
      injected_failures;
} counters;

static void load_conf(void) {
  if (conf.loaded) return;
  conf.loaded = 1;
  conf.device_count = 1;
  conf.hbm_total = (size_t)32768 << 20;
  strcpy(conf.soc_name, "Ascend910B3");
  Dl_info info;
  if (!dladdr((void *)load_conf, &info) || !info.dli_fname) return;
  char path[4096];
  snprintf(path, sizeof path, "%s", info.dli_fname);
  char *slash = strrchr(path, '/');
  if (!slash) return;
  *slash = 0; /* .../lib64 */
  slash = strrchr(path, '/');
  if (!slash) return;
  strcpy(slash, "/emulator.conf");
  FILE *f = fopen(path, "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    char key[128], value[256];
    if (sscanf(line, " %127[^= ] = %255s", key, value) != 2 || key[0] == '#') continue;
    if (!strcmp(key, "device_count")) conf.device_count = atoi(value);
    else if (!strcmp(key, "hbm_total_mb")) conf.hbm_total = (size_t)atoll(value) << 20;
    else if (!strcmp(key, "soc_name")) snprintf(conf.soc_name, sizeof conf.soc_name, "%s", value);
    else if (!strcmp(key, "fail_op")) snprintf(conf.fail_op, sizeof conf.fail_op, "%s", value);
    else if (!strcmp(key, "fail_op_count")) conf.fail_op_count = atoi(value);
    else if (!strcmp(key, "quirks")) snprintf(conf.quirks, sizeof conf.quirks, "%s", value);
  }
  fclose(f);
}

/* Whether emulator.conf's quirks (comma-separated, no spaces) name this one. */
bool emu_quirk(const char *name) {
  load_conf();
  size_t n = strlen(name);
  for (const char *p = conf.quirks; (p = strstr(p, name)); p += n)
    if ((p == conf.quirks || p[-1] == ',') && (p[n] == 0 || p[n] == ',')) return true;
  return false;
}

bool emu_should_fail(const char *op) {
  load_conf();
  if (!conf.fail_op[0] || strcmp(conf.fail_op, op)) return false;
  static int failed;
  if (conf.fail_op_count > 0 && failed >= conf.fail_op_count) return false;
  failed++;
  pthread_mutex_lock(&lock);
  counters.injected_failures++;
  pthread_mutex_unlock(&lock);
  return true;
}

void emu_count_executor(int delta) {
  pthread_mutex_lock(&lock);
  counters.live_executors += delta;
  pthread_mutex_unlock(&lock);
}

/* Test hook, not part of CANN: launches, syncs, H2D bytes, D2H bytes, allocations, live executors, graphs
 * captured, graph replays, failures injected by fail_op. */
void emu_counters(int64_t out[9]) {
  pthread_mutex_lock(&lock);
  out[8] = counters.injected_failures;
  out[6] = counters.graph_captures;
  out[7] = counters.graph_replays;
  out[0] = counters.launches;
  out[1] = counters.syncs;
  out[2] = counters.h2d_bytes;
  out[3] = counters.d2h_bytes;
  out[4] = counters.allocations;
  out[5] = counters.live_executors;
  pthread_mutex_unlock(&lock);
}

int emu_fail(int code, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, args);
  va_end(args);
  fprintf(stderr, "[ascend-emulator] error %d: %s\n", code, last_error);
  return code;
}

void emu_kernel_error(const char *fmt, ...) {
  if (kernel_error[0]) return; /* keep the first */
  va_list args;
  va_start(args, fmt);
  vsnprintf(kernel_error, sizeof kernel_error, fmt, args);
  va_end(args);
}

int emu_require_context(const char *api) {
  if (!initialized) return emu_fail(ACL_ERROR_UNINITIALIZE, "%s: aclInit has not been called", api);
  if (current_device < 0)
    return emu_fail(ACL_ERROR_RT_CONTEXT_NULL, "%s: no device on this thread; call aclrtSetDevice on it first", api);
  return ACL_SUCCESS;
}

static allocation *find(const void *handle) {
  uintptr_t h = (uintptr_t)handle;
  for (allocation *a = allocations; a; a = a->next)
    if (h >= a->handle && h < a->handle + a->size) return a;
  return NULL;
}

bool emu_is_device(const void *handle) {
  pthread_mutex_lock(&lock);
  bool found = find(handle) != NULL;
  pthread_mutex_unlock(&lock);
  return found;
}

char *emu_resolve(const void *handle, size_t bytes, const char *what) {
  pthread_mutex_lock(&lock);
  allocation *a = find(handle);
  char *real = NULL;
  if (a && (uintptr_t)handle + bytes <= a->handle + a->size) real = a->real + ((uintptr_t)handle - a->handle);
  pthread_mutex_unlock(&lock);
  if (!real)
    emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: %p is not device memory holding %zu bytes (host pointer, freed, or too small)",
             what, handle, bytes);
  return real;
}

int emu_dtype_size(int dtype) {
  switch (dtype) {
    case DT_FLOAT: case DT_INT32: return 4;
    case DT_FLOAT16: case DT_BF16: case DT_INT16: return 2;
    case DT_INT64: return 8;
    case DT_INT8: case DT_UINT8: case DT_BOOL: return 1;
    case DT_INT4: return 1; /* two per byte: see emu_storage_bytes */
    default: return 0;
  }
}

/* Bytes that hold `elements` elements: INT4 packs two per byte, the lower element in the low nibble. */
size_t emu_storage_bytes(int dtype, int64_t elements) {
  return dtype == DT_INT4 ? (size_t)(elements + 1) / 2 : (size_t)elements * emu_dtype_size(dtype);
}

/* ---- acl.h / acl_rt.h ---- */

aclError aclInit(const char *configPath) {
  (void)configPath;
  load_conf();
  if (initialized) return emu_fail(ACL_ERROR_REPEAT_INITIALIZE, "aclInit: already initialized");
  initialized = 1;
  return ACL_SUCCESS;
}

aclError aclFinalize(void) {
  if (!initialized) return emu_fail(ACL_ERROR_UNINITIALIZE, "aclFinalize: aclInit has not been called");
  initialized = 0;
  return ACL_SUCCESS;
}

static int visible_devices(void) {
  load_conf();
  const char *visible = getenv("ASCEND_RT_VISIBLE_DEVICES");
  if (!visible) return conf.device_count;
  int listed = 0;
  for (const char *p = visible; *p; p++)
    if (*p >= '0' && *p <= '9' && (p == visible || p[-1] == ',')) listed++;
  return listed < conf.device_count ? listed : conf.device_count;
}

aclError aclrtGetDeviceCount(uint32_t *count) {
  if (!count) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtGetDeviceCount: count is NULL");
  if (!initialized) return emu_fail(ACL_ERROR_UNINITIALIZE, "aclrtGetDeviceCount: aclInit has not been called");
  *count = (uint32_t)visible_devices();
  return ACL_SUCCESS;
}

aclError aclrtSetDevice(int32_t deviceId) {
  if (!initialized) return emu_fail(ACL_ERROR_UNINITIALIZE, "aclrtSetDevice: aclInit has not been called");
  if (deviceId < 0 || deviceId >= visible_devices())
    return emu_fail(ACL_ERROR_RT_INVALID_DEVICEID, "aclrtSetDevice: device %d does not exist (%d visible)", deviceId,
                    visible_devices());
  current_device = deviceId;
  return ACL_SUCCESS;
}

aclError aclrtResetDevice(int32_t deviceId) {
  if (deviceId != current_device)
    return emu_fail(ACL_ERROR_RT_INVALID_DEVICEID, "aclrtResetDevice: device %d is not set on this thread", deviceId);
  current_device = -1;
  return ACL_SUCCESS;
}

const char *aclrtGetSocName(void) {
  load_conf();
  return conf.soc_name;
}

const char *aclGetRecentErrMsg(void) {
  return last_error[0] ? last_error : NULL;
}

aclError aclrtCreateStream(aclrtStream *out) {
  int rc = emu_require_context("aclrtCreateStream");
  if (rc) return rc;
  if (!out) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtCreateStream: stream is NULL");
  stream *s = calloc(1, sizeof *s);
  s->magic = 0x57AE;
  s->device = current_device;
  *out = s;
  return ACL_SUCCESS;
}

static void run_graph(aclOpExecutor *node) {
  graph *g = (graph *)node->i[0];
  for (aclOpExecutor *e = g->head; e; e = e->next) e->kernel(e);
}

static void run_all(stream *s) {
  aclOpExecutor *e = s->head;
  s->head = s->tail = NULL;
  while (e) {
    aclOpExecutor *next = e->next;
    e->kernel(e);
    e->magic = 0;
    emu_free_executor(e);
    e = next;
  }
}

/* ---- graph capture (acl_rt.h / acl_mdl.h, CANN 8.1+) ---- */

aclError aclmdlRIDestroy(void *modelRI);

aclError aclmdlRICaptureBegin(aclrtStream handle, int mode) {
  int rc = emu_require_context("aclmdlRICaptureBegin");
  if (rc) return rc;
  stream *s = handle;
  if (!s || s->magic != 0x57AE) return emu_fail(ACL_ERROR_RT_PARAM_INVALID, "aclmdlRICaptureBegin: not a stream");
  if (mode < 0 || mode > 2) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclmdlRICaptureBegin: unknown capture mode %d", mode);
  if (s->capturing) return emu_fail(ACL_ERROR_RT_PARAM_INVALID, "aclmdlRICaptureBegin: the stream is already capturing");
  if (emu_should_fail("aclmdlRICaptureBegin"))
    return emu_fail(ACL_ERROR_RT_PARAM_INVALID, "aclmdlRICaptureBegin: injected failure (emulator.conf fail_op)");
  /* Work queued before the capture stays queued and runs as usual; only what is launched now is recorded. */
  s->capturing = calloc(1, sizeof(graph));
  s->capturing->magic = GRAPH_MAGIC;
  capturing_here = mode != 2;
  return ACL_SUCCESS;
}

aclError aclmdlRICaptureEnd(aclrtStream handle, void **modelRI) {
  stream *s = handle;
  if (!s || s->magic != 0x57AE) return emu_fail(ACL_ERROR_RT_PARAM_INVALID, "aclmdlRICaptureEnd: not a stream");
  if (!s->capturing) return emu_fail(ACL_ERROR_RT_PARAM_INVALID, "aclmdlRICaptureEnd: the stream is not capturing");
  if (!modelRI) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclmdlRICaptureEnd: modelRI is NULL");
  if (emu_should_fail("aclmdlRICaptureEnd")) {
    /* The capture is over but yields no graph: what it recorded never runs. */
    aclmdlRIDestroy(s->capturing);
    s->capturing = NULL;
    capturing_here = 0;
    return emu_fail(ACL_ERROR_RT_PARAM_INVALID, "aclmdlRICaptureEnd: injected failure (emulator.conf fail_op)");
  }
  *modelRI = s->capturing;
  s->capturing = NULL;
  capturing_here = 0;
  pthread_mutex_lock(&lock);
  counters.graph_captures++;
  pthread_mutex_unlock(&lock);
  return ACL_SUCCESS;
}

aclError aclmdlRIExecuteAsync(void *modelRI, aclrtStream handle) {
  int rc = emu_require_context("aclmdlRIExecuteAsync");
  if (rc) return rc;
  graph *g = modelRI;
  stream *s = handle;
  if (!g || g->magic != GRAPH_MAGIC) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclmdlRIExecuteAsync: not a captured graph");
  if (!s || s->magic != 0x57AE || s->capturing)
    return emu_fail(ACL_ERROR_RT_PARAM_INVALID, "aclmdlRIExecuteAsync: not a stream, or one that is capturing");
  aclOpExecutor *node = calloc(1, sizeof *node);
  node->op = "aclmdlRIExecuteAsync";
  node->kernel = run_graph;
  node->i[0] = (int64_t)(intptr_t)g;
  node->next = NULL;
  if (s->tail) s->tail->next = node; else s->head = node;
  s->tail = node;
  pthread_mutex_lock(&lock);
  counters.graph_replays++;
  pthread_mutex_unlock(&lock);
  return ACL_SUCCESS;
}

aclError aclmdlRIDestroy(void *modelRI) {
  graph *g = modelRI;
  if (!g || g->magic != GRAPH_MAGIC) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclmdlRIDestroy: not a captured graph");
  for (aclOpExecutor *e = g->head; e;) {
    aclOpExecutor *next = e->next;
    e->magic = 0;
    emu_free_executor(e);
    e = next;
  }
  g->magic = 0;
  free(g);
  return ACL_SUCCESS;
}

/* Calls CANN forbids on a thread whose stream is capturing (host copies, allocations, synchronization). */
static int forbidden_while_capturing(const char *api) {
  return capturing_here ? emu_fail(ACL_ERROR_RT_PARAM_INVALID, "%s: not allowed while this thread's stream is capturing a graph", api) : 0;
}

aclError aclrtSynchronizeStream(aclrtStream handle) {
  int rc = emu_require_context("aclrtSynchronizeStream");
  if (rc || (rc = forbidden_while_capturing("aclrtSynchronizeStream"))) return rc;
  stream *s = handle;
  if (!s || s->magic != 0x57AE) return emu_fail(ACL_ERROR_RT_PARAM_INVALID, "aclrtSynchronizeStream: not a stream");
  kernel_error[0] = 0;
  counters.syncs++;
  run_all(s);
  if (kernel_error[0]) return emu_fail(ACL_ERROR_RT_AICORE_EXCEPTION, "kernel failed on the stream: %s", kernel_error);
  return ACL_SUCCESS;
}

aclError aclrtDestroyStream(aclrtStream handle) {
  stream *s = handle;
  if (!s || s->magic != 0x57AE) return emu_fail(ACL_ERROR_RT_PARAM_INVALID, "aclrtDestroyStream: not a stream");
  if (s->head) return emu_fail(ACL_ERROR_RT_PARAM_INVALID, "aclrtDestroyStream: work is still queued; synchronize first");
  s->magic = 0;
  free(s);
  return ACL_SUCCESS;
}

int emu_enqueue(aclrtStream handle, aclOpExecutor *e) {
  stream *s = handle;
  if (!s || s->magic != 0x57AE) return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: not a stream", e->op);
  if (s->device != current_device)
    return emu_fail(ACLNN_ERR_PARAM_INVALID, "%s: the stream belongs to device %d, this thread is on %d", e->op, s->device,
                    current_device);
  e->next = NULL;
  counters.launches++;
  emu_count_executor(-1);
  if (s->capturing) { /* recorded, kept for every replay */
    if (s->capturing->tail) s->capturing->tail->next = e; else s->capturing->head = e;
    s->capturing->tail = e;
    return ACL_SUCCESS;
  }
  if (s->tail) s->tail->next = e; else s->head = e;
  s->tail = e;
  return ACL_SUCCESS;
}

aclError aclrtMalloc(void **devPtr, size_t size, int policy) {
  int rc = emu_require_context("aclrtMalloc");
  if (rc || (rc = forbidden_while_capturing("aclrtMalloc"))) return rc;
  load_conf();
  if (!devPtr || size == 0) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtMalloc: NULL pointer or size 0");
  if (policy < 0 || policy > 2) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtMalloc: unknown policy %d", policy);
  pthread_mutex_lock(&lock);
  if (allocated + size > conf.hbm_total) {
    pthread_mutex_unlock(&lock);
    return emu_fail(ACL_ERROR_RT_MEMORY_ALLOCATION, "aclrtMalloc: %zu bytes do not fit (%zu of %zu in use)", size, allocated,
                    conf.hbm_total);
  }
  allocation *a = calloc(1, sizeof *a);
  a->real = malloc(size);
  if (!a->real) {
    free(a);
    pthread_mutex_unlock(&lock);
    return emu_fail(ACL_ERROR_RT_MEMORY_ALLOCATION, "aclrtMalloc: host allocation of %zu bytes failed", size);
  }
  memset(a->real, 0xA5, size); /* garbage, as device memory is */
  a->size = size;
  a->handle = next_handle;
  next_handle += (size + 4095) / 4096 * 4096 + 4096; /* a guard gap between allocations */
  a->next = allocations;
  allocations = a;
  allocated += size;
  counters.allocations++;
  *devPtr = (void *)a->handle;
  pthread_mutex_unlock(&lock);
  return ACL_SUCCESS;
}

aclError aclrtFree(void *devPtr) {
  int rc = forbidden_while_capturing("aclrtFree");
  if (rc) return rc;
  pthread_mutex_lock(&lock);
  for (allocation **p = &allocations; *p; p = &(*p)->next) {
    if ((*p)->handle == (uintptr_t)devPtr) {
      allocation *a = *p;
      *p = a->next;
      allocated -= a->size;
      free(a->real);
      free(a);
      pthread_mutex_unlock(&lock);
      return ACL_SUCCESS;
    }
  }
  pthread_mutex_unlock(&lock);
  return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtFree: %p is not the start of a device allocation", devPtr);
}

aclError aclrtMemcpy(void *dst, size_t destMax, const void *src, size_t count, int kind) {
  int rc = emu_require_context("aclrtMemcpy");
  if (rc || (rc = forbidden_while_capturing("aclrtMemcpy"))) return rc;
  if (!dst || !src) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtMemcpy: NULL pointer");
  if (count > destMax) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtMemcpy: count %zu exceeds destMax %zu", count, destMax);
  bool dstDevice = kind == MEMCPY_HOST_TO_DEVICE || kind == MEMCPY_DEVICE_TO_DEVICE;
  bool srcDevice = kind == MEMCPY_DEVICE_TO_HOST || kind == MEMCPY_DEVICE_TO_DEVICE;
  if (kind < 0 || kind > 3) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtMemcpy: unknown kind %d", kind);
  if (emu_is_device(dst) != dstDevice || emu_is_device(src) != srcDevice)
    return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtMemcpy: kind %d does not match where dst and src live", kind);
  char *d = dstDevice ? emu_resolve(dst, count, "aclrtMemcpy dst") : dst;
  const char *s = srcDevice ? emu_resolve(src, count, "aclrtMemcpy src") : src;
  if (!d || !s) return ACL_ERROR_INVALID_PARAM;
  if (kind == MEMCPY_HOST_TO_DEVICE) counters.h2d_bytes += (int64_t)count;
  if (kind == MEMCPY_DEVICE_TO_HOST) counters.d2h_bytes += (int64_t)count;
  memmove(d, s, count);
  return ACL_SUCCESS;
}

aclError aclrtGetMemInfo(int attr, size_t *freeBytes, size_t *totalBytes) {
  int rc = emu_require_context("aclrtGetMemInfo");
  if (rc) return rc;
  if (!freeBytes || !totalBytes) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtGetMemInfo: NULL output");
  if (attr < 0 || attr > 1) return emu_fail(ACL_ERROR_INVALID_PARAM, "aclrtGetMemInfo: unknown attribute %d", attr);
  pthread_mutex_lock(&lock);
  *totalBytes = conf.hbm_total;
  *freeBytes = conf.hbm_total - allocated;
  pthread_mutex_unlock(&lock);
  return ACL_SUCCESS;
}

void emu_free_executor(aclOpExecutor *executor) {
  free(executor->lengths);
  free(executor);
}
