#!/usr/bin/env bash
# Headless Chromium test of the web client. Installs what it needs (Debian's chromium, and
# playwright-core from npm into bench/web/node_modules), runs web-client.test.mjs against a chat
# node it starts and stops itself, and saves a screenshot (default docs/img/web-client.png).
# Exit codes: 0 pass, 1 fail, 77 skipped because chromium or node could not be installed.
# The node runs from $NODE_CP (a classpath, set by the JUnit wrapper) or from the dist jar.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
export SCREENSHOT=${SCREENSHOT:-$ROOT/docs/img/web-client.png}

if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node (Node.js) is not installed"; exit 77
fi
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium with apt-get ..."
    # A fresh machine may have no package lists yet: update once and try again.
    apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y chromium >/dev/null 2>&1; } || true
  fi
  if [ ! -x "$CHROMIUM" ]; then
    echo "SKIP: chromium is not installed at $CHROMIUM and could not be installed"; exit 77
  fi
fi
if [ ! -d "$HERE/node_modules/playwright-core" ]; then
  echo "installing playwright-core with npm ..."
  if ! (cd "$HERE" && npm install --no-audit --no-fund --silent >/dev/null 2>&1); then
    echo "SKIP: npm install of playwright-core failed (offline?)"; exit 77
  fi
fi
if [ -z "${NODE_CP:-}" ]; then
  export STICKYRING_JAR=${STICKYRING_JAR:-$ROOT/dist/target/stickyring.jar}
  if [ ! -f "$STICKYRING_JAR" ]; then
    (cd "$ROOT" && mvn -B -q -pl dist -am package -DskipTests)
  fi
fi
exec node "$HERE/web-client.test.mjs"
