/** Internal, not API: helpers shared by gemma4j's own modules. This package may change in any release. */
@NullMarked
package dev.gemma4j.internal;

import org.jspecify.annotations.NullMarked;
