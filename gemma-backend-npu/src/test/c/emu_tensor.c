/* libnnopbase.so of the emulator: tensors, scalars and int arrays (acl_meta.h). */
#include "emu.h"

#include <stdlib.h>
#include <string.h>

#define TENSOR_MAGIC 0x7E45
#define SCALAR_MAGIC 0x5CA1
#define ARRAY_MAGIC 0xA77A
#define LIST_MAGIC 0x7157

aclTensor *aclCreateTensor(const int64_t *viewDims, uint64_t viewDimsNum, int dataType, const int64_t *stride,
                           int64_t offset, int format, const int64_t *storageDims, uint64_t storageDimsNum,
                           void *tensorData) {
  if (viewDimsNum > EMU_MAX_DIMS || (viewDimsNum > 0 && (!viewDims || !stride))) {
    emu_fail(ACLNN_ERR_PARAM_INVALID, "aclCreateTensor: %llu dimensions (at most %d) or NULL dims/strides",
             (unsigned long long)viewDimsNum, EMU_MAX_DIMS);
    return NULL;
  }
  int size = emu_dtype_size(dataType);
  if (size == 0) {
    emu_fail(ACLNN_ERR_PARAM_INVALID, "aclCreateTensor: unsupported aclDataType %d", dataType);
    return NULL;
  }
  if (format != FORMAT_ND) {
    emu_fail(ACLNN_ERR_PARAM_INVALID, "aclCreateTensor: format %d; the emulator implements ACL_FORMAT_ND (2) only", format);
    return NULL;
  }
  int64_t storage = 1;
  for (uint64_t i = 0; i < storageDimsNum; i++) storage *= storageDims[i];
  int64_t last = offset;
  for (uint64_t i = 0; i < viewDimsNum; i++) {
    if (viewDims[i] < 0 || stride[i] < 0) {
      emu_fail(ACLNN_ERR_PARAM_INVALID, "aclCreateTensor: negative dimension or stride");
      return NULL;
    }
    if (viewDims[i] > 0) last += (viewDims[i] - 1) * stride[i];
  }
  if (offset < 0 || last >= storage) {
    emu_fail(ACLNN_ERR_PARAM_INVALID, "aclCreateTensor: the view reaches element %lld of a storage of %lld",
             (long long)last, (long long)storage);
    return NULL;
  }
  if (!emu_resolve(tensorData, emu_storage_bytes(dataType, storage), "aclCreateTensor data")) return NULL;
  aclTensor *t = calloc(1, sizeof *t);
  t->magic = TENSOR_MAGIC;
  t->ndim = (int)viewDimsNum;
  for (int i = 0; i < t->ndim; i++) {
    t->dims[i] = viewDims[i];
    t->strides[i] = stride[i];
  }
  t->offset = offset;
  t->dtype = dataType;
  t->data = tensorData;
  return t;
}

int aclDestroyTensor(const aclTensor *tensor) {
  if (!tensor || tensor->magic != TENSOR_MAGIC) return emu_fail(ACLNN_ERR_PARAM_INVALID, "aclDestroyTensor: not a tensor");
  ((aclTensor *)tensor)->magic = 0;
  free((void *)tensor);
  return 0;
}

aclScalar *aclCreateScalar(void *value, int dataType) {
  if (!value) {
    emu_fail(ACLNN_ERR_PARAM_NULLPTR, "aclCreateScalar: value is NULL");
    return NULL;
  }
  aclScalar *s = calloc(1, sizeof *s);
  s->magic = SCALAR_MAGIC;
  s->dtype = dataType;
  switch (dataType) {
    case DT_FLOAT: s->value = *(float *)value; break;
    case DT_INT32: s->value = *(int32_t *)value; break;
    case DT_INT64: s->value = (double)*(int64_t *)value; break;
    default:
      free(s);
      emu_fail(ACLNN_ERR_PARAM_INVALID, "aclCreateScalar: the emulator supports FLOAT, INT32 and INT64 scalars, not %d", dataType);
      return NULL;
  }
  return s;
}

int aclDestroyScalar(const aclScalar *scalar) {
  if (!scalar || scalar->magic != SCALAR_MAGIC) return emu_fail(ACLNN_ERR_PARAM_INVALID, "aclDestroyScalar: not a scalar");
  ((aclScalar *)scalar)->magic = 0;
  free((void *)scalar);
  return 0;
}

aclIntArray *aclCreateIntArray(const int64_t *value, uint64_t size) {
  if (size > EMU_MAX_INT_ARRAY || (size && !value)) {
    emu_fail(ACLNN_ERR_PARAM_INVALID, "aclCreateIntArray: at most %d values, and a NULL value only for none", EMU_MAX_INT_ARRAY);
    return NULL;
  }
  aclIntArray *a = calloc(1, sizeof *a + size * sizeof(int64_t));
  a->magic = ARRAY_MAGIC;
  a->size = size;
  memcpy(a->values, value, size * sizeof(int64_t));
  return a;
}

int aclDestroyIntArray(const aclIntArray *array) {
  if (!array || array->magic != ARRAY_MAGIC) return emu_fail(ACLNN_ERR_PARAM_INVALID, "aclDestroyIntArray: not an int array");
  ((aclIntArray *)array)->magic = 0;
  free((void *)array);
  return 0;
}

/* aclCreateTensorList takes the tensors: aclDestroyTensorList destroys them with the list (aclnn/acl_meta.h). */
aclTensorList *aclCreateTensorList(const aclTensor *const *value, uint64_t size) {
  if (size > EMU_MAX_TENSOR_LIST || (size && !value)) {
    emu_fail(ACLNN_ERR_PARAM_INVALID, "aclCreateTensorList: at most %d tensors, and a NULL value only for none",
             EMU_MAX_TENSOR_LIST);
    return NULL;
  }
  for (uint64_t i = 0; i < size; i++) {
    if (!value[i] || value[i]->magic != TENSOR_MAGIC) {
      emu_fail(ACLNN_ERR_PARAM_INVALID, "aclCreateTensorList: element %llu is not a tensor", (unsigned long long)i);
      return NULL;
    }
  }
  aclTensorList *l = calloc(1, sizeof *l);
  l->magic = LIST_MAGIC;
  l->size = size;
  for (uint64_t i = 0; i < size; i++) l->tensors[i] = (aclTensor *)value[i];
  return l;
}

int aclDestroyTensorList(const aclTensorList *list) {
  if (!list || list->magic != LIST_MAGIC) return emu_fail(ACLNN_ERR_PARAM_INVALID, "aclDestroyTensorList: not a tensor list");
  for (uint64_t i = 0; i < list->size; i++) {
    int rc = aclDestroyTensor(list->tensors[i]);
    if (rc) return rc;
  }
  ((aclTensorList *)list)->magic = 0;
  free((void *)list);
  return 0;
}

/* Whether a list handle is live (operators check their list arguments with it). */
bool emu_is_tensor_list(const aclTensorList *list) {
  return list && list->magic == LIST_MAGIC;
}
