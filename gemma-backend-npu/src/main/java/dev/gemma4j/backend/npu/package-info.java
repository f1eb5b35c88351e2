/**
 * The Ascend NPU backend: the Gemma 2 tensor operations on CANN's runtime and aclnn operators, called
 * through Java's Foreign Function and Memory API (no JNI, nothing to compile). The CANN toolkit is found
 * at run time from {@code ASCEND_HOME_PATH}, {@code ASCEND_TOOLKIT_HOME} or
 * {@code /usr/local/Ascend/ascend-toolkit/latest}.
 */
@NullMarked
package dev.gemma4j.backend.npu;

import org.jspecify.annotations.NullMarked;
