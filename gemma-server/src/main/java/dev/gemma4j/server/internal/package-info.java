/** Internal, not API: the server's request parsing, response shapes, streaming and metrics. */
@NullMarked
package dev.gemma4j.server.internal;

import org.jspecify.annotations.NullMarked;
