#!/usr/bin/env bash
# ptrguard performance suite. Usage:
#   bench/run-all.sh [suite args]   everything: milter vs libmilter, Postfix with/without, memory, start-up, JMH
#   bench/run-all.sh soak [N] [C]   N milter sessions (default 1000000) at concurrency C (default 16) through one
#                                   ptrguard: heap after full GC, threads and fds at start, middle and end
#   bench/run-all.sh jmh [jmh args] the JMH microbenchmarks only (codec, generic-name classifier)
# Suite args (optional): --rounds 3 --seconds 10 --warmup 2 --jit-warmup 10 --postfix-messages 2000
#                        --postfix-sessions 8 --postfix-rounds 5 --connections 1000
#                        --skip milter,postfix,memory,jmh (or milter-helo / milter-message: one scenario)
#                        --keep-work yes (keep the work directory with the servers' logs; removed otherwise
#                        after a successful run: a full run writes several hundred MB of decision lines)
# Needs: JDK 17, Maven (offline repository filled), gcc + libmilter-dev, postfix (smtp-source, smtp-sink).
# Runs as root (private Postfix instances, as the integration tests do). Output also goes to target/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."

mvn -o -q -B package -DskipTests
mvn -o -q -B dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt >/dev/null
CP="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
PROPS=(-Dptrguard.jar=target/ptrguard.jar -Dptrguard.launcher=packaging/bin/ptrguard
       -Dptrguard.baseline.source=bench/libmilter-baseline/baseline.c)
mkdir -p target/bench
stamp=$(date -u +%Y%m%dT%H%M%SZ)

jmh() {
  # Short settings: on a shared 2-core machine the error bars are wide anyway; compare relatively.
  "$JAVA" -cp "$CP" org.openjdk.jmh.Main -f 1 -wi 3 -w 1 -i 5 -r 1 -rf text -rff "target/bench/jmh-$stamp.txt" "$@"
}

case "${1:-}" in
  soak)
    shift
    "$JAVA" "${PROPS[@]}" -cp "$CP" org.ptrguard.bench.Soak "${1:-1000000}" "${2:-16}" | tee "target/bench/soak-$stamp.txt"
    ;;
  jmh)
    shift
    jmh "$@"
    ;;
  *)
    "$JAVA" "${PROPS[@]}" -cp "$CP" org.ptrguard.bench.BenchSuite "$@" | tee "target/bench/suite-$stamp.txt"
    if [[ "$*" != *jmh* ]]; then
      jmh > "target/bench/jmh-log-$stamp.txt" 2>&1
      echo
      echo "==== JMH (average time per operation) ===="
      cat "target/bench/jmh-$stamp.txt"
    fi
    ;;
esac
