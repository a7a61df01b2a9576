#!/usr/bin/env bash
# Re-runs the examples of docs/ring-sim.md: prints their tables and rewrites the charts in docs/img.
# Usage: ring-sim/scripts/doc-examples.sh   (from the repository root; builds ring-sim.jar if missing)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
jar="$root/ring-sim/target/ring-sim.jar"
[ -f "$jar" ] || (cd "$root" && mvn -B -q -pl ring-sim -am package -DskipTests)
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
sim() { java -jar "$jar" "$@"; }
img="$root/docs/img"
mkdir -p "$img"

echo "== run (uniform)"; date -u
/usr/bin/time -f "wall %e s, max RSS %M KB" java -jar "$jar" run -n 10 -a ring -a maglev -a rendezvous -a jump \
  -w ipv4:n=1000000 -e fail:1 -e add:1 -e drain:1 -e restart -e scale:20:step=5 --no-progress --charts "$out/run"
cp "$out/run/moved.png" "$img/sim-moved.png"
cp "$out/run/moved-vs-ideal.png" "$img/sim-moved-vs-ideal.png"
cp "$out/run/load-initial.png" "$img/sim-load-initial.png"

echo "== run (zipf)"
sim run -n 10 -a ring -a maglev -a bounded:base=maglev:c=1.25 -w zipf:users=1000000:nats=20000:s=1.1 \
  -e fail:1 -e add:1 --no-progress --charts "$out/zipf"
cp "$out/zipf/load-initial.png" "$img/sim-zipf-load.png"
sim run -n 10 -a maglev -a bounded:base=maglev:c=1.25 -w zipf:users=1000000:nats=20000:s=1.1 \
  -e fail:1 -e add:1 --no-progress --per-connection

echo "== sweep"
sim sweep -n 10 -s ring:vnodes=10,30,100,300,1000,3000 -s maglev:table=11,101,1009,10007,65537,655373 \
  --no-progress --charts "$out/sweep"
cp "$out/sweep/balance-peak.png" "$img/sim-sweep-peak.png"

echo "== paper lamping2014"
sim paper lamping2014 --no-progress --charts "$out/paper"
cp "$out/paper/lamping2014.png" "$img/sim-paper-lamping2014.png"
echo "== paper maglev2016"
sim paper maglev2016 --no-progress --charts "$out/paper"
cp "$out/paper/maglev2016.png" "$img/sim-paper-maglev2016.png"
