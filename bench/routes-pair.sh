#!/bin/bash
# The route model's cost on the SMTP path: alternating rounds of the `message` scenario (8 clients,
# 10 s after a 3 s warm-up, ProfileRun) against a release without the route model (BEFORE_JAR,
# built from commit c82584c) and this checkout's jar with routes { enabled = yes }, every route
# healthy. Both get a 3 s DNS timeout so that a loaded machine's first check cannot end unknown.
# Each "after" round prints the route identity's verdict from the server log (must be to=pass).
#
# Usage, from the checkout:
#   mvn -B -o -q package -DskipTests test-compile
#   mvn -B -o -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-classpath.txt
#   bench/routes-pair.sh BEFORE_JAR [ROUNDS]
set -euo pipefail
before_jar=${1:?usage: bench/routes-pair.sh BEFORE_JAR [ROUNDS]}
rounds=${2:-8}
cp="target/test-classes:target/classes:$(cat target/bench-classpath.txt)"
dns='dns { timeout = 3s, check-budget = 10s }'
for round in $(seq 1 "$rounds"); do
  for which in before after; do
    if [ "$which" = before ]; then jar=$before_jar; set_="$dns"; else jar=target/ptrguard.jar; set_="$dns
routes { enabled = yes }"; fi
    echo "== scenario=message round=$round jar=$which"
    out=$(java -Dptrguard.jar="$jar" -Dptrguard.profile.linger-s=0 "-Dptrguard.profile.settings=$set_" \
      -cp "$cp" org.ptrguard.bench.ProfileRun message 8 10 2>&1)
    echo "$out" | grep -E 'scenario=|^  session|server cpu|never became' || true
    log=$(echo "$out" | sed -n 's/^server log: //p')
    if [ "$which" = after ] && [ -n "$log" ]; then grep -o 'event=route-identity.*' "$log" | head -2 || true; fi
  done
done
