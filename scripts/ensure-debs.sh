#!/usr/bin/env bash
# Installs the Debian packages listed in the given files (one name per line, '#' comments) that are
# not installed yet. Needs root and apt-get; without them it prints one line and exits 0, so the
# tests that need a missing tool report it themselves.
set -euo pipefail
want=()
for f in "$@"; do
    while read -r line; do
        pkg=${line%%#*}; pkg=${pkg//[[:space:]]/}
        [ -n "$pkg" ] || continue
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || want+=("$pkg")
    done < "$f"
done
[ ${#want[@]} -gt 0 ] || exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure-debs: not root or no apt-get; missing: ${want[*]}" >&2
    exit 0
fi
echo "ensure-debs: installing ${want[*]}"
apt-get install -y -qq "${want[@]}" >/tmp/ensure-debs.log 2>&1 \
    || { apt-get update -qq >>/tmp/ensure-debs.log 2>&1 && apt-get install -y -qq "${want[@]}" >>/tmp/ensure-debs.log 2>&1; } \
    || { echo "ensure-debs: apt-get install ${want[*]} failed (see /tmp/ensure-debs.log)" >&2; exit 1; }
