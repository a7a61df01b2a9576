#!/usr/bin/env bash
# Runs every test of every module (unit, property, integration over loopback). This is the
# README's test command and what CI runs. Services the tests need that this machine does not
# start by itself (ZooKeeper) are started inside the tests.
set -euo pipefail
cd "$(dirname "$0")"
scripts/ensure-debs.sh scripts/test-packages.txt
exec mvn -B verify "$@"
