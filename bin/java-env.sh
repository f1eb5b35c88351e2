# Sourced by the scripts in bin/: finds a Java 25 and exports JAVA_HOME and PATH.
# Order: $JAVA_HOME when it is a Java 25, then /usr/lib/jvm/temurin-25-jdk-amd64, then any /usr/lib/jvm/*25*.
java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/java" ] || [ "$(java_major "$JAVA_HOME")" != "25" ]; then
  JAVA_HOME=""
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*25*; do
    if [ -x "$candidate/bin/java" ] && [ "$(java_major "$candidate")" = "25" ]; then
      JAVA_HOME="$candidate"
      break
    fi
  done
fi
if [ -z "$JAVA_HOME" ]; then
  echo "gemma4j needs Java 25: install Temurin 25 or set JAVA_HOME to a Java 25 JDK" >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
# Maven 3.8 on Java 25 warns about sun.misc.Unsafe in its own libraries; the flag keeps the output clean.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
if ! command -v mvn >/dev/null 2>&1; then
  echo "gemma4j builds with Apache Maven 3.8 or newer: install it (e.g. apt-get install maven)" >&2
  exit 1
fi
