/*
 * ascend-emulator: a CPU emulator of the part of CANN's C interface that gemma4j's NPU backend calls.
 *
 * Declarations are our own, written from the public CANN documentation and headers (acl/acl_rt.h,
 * aclnn/acl_meta.h, the aclnn operator documents); see MANIFEST.md beside this file for each one's source.
 * Device memory is host memory behind opaque, non-dereferenceable handles; operators are queued per
 * stream and run only at aclrtSynchronizeStream; anything outside the documented contract fails loudly.
 */
#ifndef EMU_H
#define EMU_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

typedef int aclError;
typedef int32_t aclnnStatus;
typedef void *aclrtStream;

#define ACL_SUCCESS 0
#define ACL_ERROR_INVALID_PARAM 100000
#define ACL_ERROR_REPEAT_INITIALIZE 100002
#define ACL_ERROR_UNINITIALIZE 100040
#define ACL_ERROR_RT_PARAM_INVALID 107000
#define ACL_ERROR_RT_INVALID_DEVICEID 107001
#define ACL_ERROR_RT_CONTEXT_NULL 107002
#define ACL_ERROR_RT_MEMORY_ALLOCATION 207001
#define ACL_ERROR_RT_AICORE_EXCEPTION 507015
#define ACLNN_ERR_PARAM_NULLPTR 161001
#define ACLNN_ERR_PARAM_INVALID 161002
#define ACLNN_ERR_INNER 561000

/* aclDataType */
enum { DT_FLOAT = 0, DT_FLOAT16 = 1, DT_INT8 = 2, DT_INT32 = 3, DT_UINT8 = 4, DT_INT16 = 6, DT_INT64 = 9, DT_BOOL = 12, DT_BF16 = 27, DT_INT4 = 29 };
/* aclFormat */
enum { FORMAT_ND = 2 };
/* aclrtMemcpyKind */
enum { MEMCPY_HOST_TO_HOST = 0, MEMCPY_HOST_TO_DEVICE = 1, MEMCPY_DEVICE_TO_HOST = 2, MEMCPY_DEVICE_TO_DEVICE = 3 };

#define EMU_MAX_DIMS 8

typedef struct aclTensor {
  int magic;
  int ndim;
  int64_t dims[EMU_MAX_DIMS];
  int64_t strides[EMU_MAX_DIMS];
  int64_t offset;
  int dtype;
  void *data; /* a device handle */
} aclTensor;

typedef struct aclScalar {
  int magic;
  int dtype;
  double value;
} aclScalar;

/* At most this many values: a batch's sequence lengths fit, a hostile size does not allocate. */
#define EMU_MAX_INT_ARRAY 65536

typedef struct aclIntArray {
  int magic;
  uint64_t size;
  int64_t values[]; /* size values */
} aclIntArray;

/* At most this many tensors in a list (IncreFlashAttention's key/value lists hold one in page attention). */
#define EMU_MAX_TENSOR_LIST 256

typedef struct aclTensorList {
  int magic;
  uint64_t size;
  aclTensor *tensors[EMU_MAX_TENSOR_LIST];
} aclTensorList;

typedef struct aclOpExecutor aclOpExecutor;
typedef void (*emu_kernel)(aclOpExecutor *executor);

#define EMU_MAX_OPERANDS 6
struct aclOpExecutor {
  int magic;
  const char *op;
  uint64_t workspace;
  emu_kernel kernel;
  aclTensor t[EMU_MAX_OPERANDS];
  double d[4];
  int64_t i[4];
  int64_t *lengths; /* host values an operator keeps (IncreFlashAttention's actualSeqLengths), freed with it */
  struct aclOpExecutor *next;
};

/* Shared by the three libraries; exported from libascendcl.so. */
int emu_fail(int code, const char *fmt, ...);
int emu_require_context(const char *api);
char *emu_resolve(const void *handle, size_t bytes, const char *what);
bool emu_is_device(const void *handle);
int emu_enqueue(aclrtStream stream, aclOpExecutor *executor);
bool emu_should_fail(const char *op);
bool emu_quirk(const char *name);
void emu_count_executor(int delta);
void emu_free_executor(aclOpExecutor *executor);
bool emu_is_tensor_list(const aclTensorList *list);
void emu_kernel_error(const char *fmt, ...);
int emu_dtype_size(int dtype);
size_t emu_storage_bytes(int dtype, int64_t elements);

#endif
