#!/usr/bin/env bash
# A/B of the LB's pick path: PickBench (pick, candidates; ring n=10,100) on a base git revision and on
# the working tree, alternating for ROUNDS rounds in the same session so both see the same machine
# load. Writes bench/results/jmh-lb-pick-ab-<UTC>.txt with every score and the new/base ratio per
# round (median and range). Usage: bench/lb/jmh-pick-ab.sh BASE_REV [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
base_rev=${1:?usage: $0 BASE_REV [ROUNDS]}
rounds=${2:-3}
out=bench/results/jmh-lb-pick-ab-$(date -u +%Y%m%d-%H%M).txt
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
git archive "$base_rev" | tar -x -C "$work"
build() { # dir -> classpath on stdout
  (cd "$1" && mvn -B -o -q -pl lb -am test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
      -Dmdep.includeScope=test -Dmdep.outputFile="$1/.cp" >/dev/null)
  echo "$1/lb/target/test-classes:$1/lb/target/classes:$1/ring/target/classes:$1/membership/target/classes:$(cat "$1/.cp")"
}
cp_base=$(build "$work")
cp_new=$(build "$PWD")
opts="-f 1 -wi 1 -w 1s -i 3 -r 1s -p algorithm=ring -p n=10,100"
{
  echo "# bench/lb/jmh-pick-ab.sh $base_rev $rounds ; $(date -u +%FT%TZ); $(nproc) cores; load at start $(cut -d' ' -f1-3 /proc/loadavg); $(java -version 2>&1 | head -1)"
  echo "# base = $base_rev ($(git rev-parse --short "$base_rev")), new = working tree of $(git rev-parse --short HEAD); JMH options: $opts"
  for r in $(seq 1 "$rounds"); do
    for v in base new; do
      cp=$cp_base; [ "$v" = new ] && cp=$cp_new
      # shellcheck disable=SC2086
      java -cp "$cp" org.openjdk.jmh.Main 'lb.bench.PickBench.(pick|candidates)$' $opts -jvmArgs "-Xmx512m" \
          -rf csv -rff "$work/$v-$r.csv" >/dev/null
      tail -n +2 "$work/$v-$r.csv" | tr -d '"' | awk -F, -v v="$v" -v r="$r" '{printf "round %s %-4s %-22s n=%-4s %10.2f ns/op\n", r, v, $1, $9, $5}'
    done
    echo "# load after round $r: $(cut -d' ' -f1-3 /proc/loadavg)"
  done
} | tee "$out.raw"
awk '/^round/ {k=$4" "$5; s[$3" "k" "$2]=$6; keys[k]=1; R[$2]=1}
     END {print "\n# new/base ratio per round (lower = new is faster)";
          for (k in keys) { line=k; n=0; for (r in R) { b=s["base "k" "r]; x=s["new "k" "r]; if (b>0) { q=x/b; a[++n]=q; line=line sprintf("  r%s %.2f", r, q) } }
            asort(a); printf "%s   median %.2f range %.2f..%.2f\n", line, a[int((n+1)/2)], a[1], a[n]; delete a } }' "$out.raw" | tee -a "$out.raw"
mv "$out.raw" "$out"
echo "wrote $out"
