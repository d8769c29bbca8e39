#!/usr/bin/env bash
# Assembles the npm package (target/npm/package/) from the one-thread wasm module (pkg/, from
# scripts/build-wasm.sh), the verifier's key files (keys.json, params.bin, vk.bin of the key
# directory, default keys/) and templates/npm/, then packs it with `npm pack`:
#   target/npm/zkmnist-<version>.tgz
# Publishing is not done here.
#
#   scripts/build-npm.sh [KEYS_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
keys=${1:-keys}
for f in pkg/zkmnist.js pkg/zkmnist_bg.wasm pkg/zkmnist.d.ts; do
  [ -f "$f" ] || { echo "error: $f is missing: run scripts/build-wasm.sh" >&2; exit 1; }
done
for f in keys.json params.bin vk.bin; do
  [ -f "$keys/$f" ] || { echo "error: $keys/$f is missing: run \`zkmnist setup --out $keys\`" >&2; exit 1; }
done

version=$(awk -F'"' '/^version = / { print $2; exit }' Cargo.toml)
out=target/npm
rm -rf "$out/package.tmp"
mkdir -p "$out/package.tmp/keys"
cp pkg/zkmnist.js pkg/zkmnist_bg.wasm pkg/zkmnist.d.ts pkg/zkmnist_bg.wasm.d.ts "$out/package.tmp/"
cp "$keys/keys.json" "$keys/params.bin" "$keys/vk.bin" "$out/package.tmp/keys/"
cp templates/npm/index.js templates/npm/index.d.ts templates/npm/example.mjs "$out/package.tmp/"

setup=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).setup)' "$keys/keys.json")
vk=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).vk_digest)' "$keys/keys.json")
model=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).model)' "$keys/keys.json")
warning=""
if [ "$setup" = dev-insecure ]; then
  warning=" **INSECURE**: these keys come from the dev setup, whose KZG parameters derive from a public seed, so anyone can forge proofs that verify with them. Build the package from keys made with a real ceremony (\`zkmnist srs import\`, then \`zkmnist setup --srs\`) for anything that matters."
fi
node - "$out/package.tmp" "$version" "$setup" "$vk" "$model" "$warning" <<'JS'
const fs = require('fs');
const [dir, version, setup, vk, model, warning] = process.argv.slice(2);
const example = fs.readFileSync(`${dir}/example.mjs`, 'utf8');
const readme = fs.readFileSync('templates/npm/README.md', 'utf8')
  .replaceAll('@EXAMPLE@', example).replaceAll('@SETUP@', setup).replaceAll('@VK_DIGEST@', vk)
  .replaceAll('@MODEL@', model).replaceAll('@SETUP_WARNING@', warning ? `\n\n${warning}` : '');
fs.writeFileSync(`${dir}/README.md`, readme);
const pkg = {
  name: 'zkmnist',
  version,
  description: 'Verify zkmnist proofs (Halo2, KZG over BN254) that a hidden image is classified as a digit by a published CNN, in Node.js or a browser.',
  license: 'MIT',
  type: 'module',
  main: './index.js',
  types: './index.d.ts',
  exports: {
    '.': { types: './index.d.ts', node: './index.js' },
    './wasm': { types: './zkmnist.d.ts', default: './zkmnist.js' },
    './keys/*': './keys/*',
    './package.json': './package.json',
  },
  files: ['index.js', 'index.d.ts', 'example.mjs', 'zkmnist.js', 'zkmnist.d.ts', 'zkmnist_bg.wasm', 'zkmnist_bg.wasm.d.ts', 'keys/', 'README.md'],
  engines: { node: '>=18' },
  keywords: ['zero-knowledge', 'halo2', 'zkml', 'mnist', 'wasm'],
  zkmnist: { setup, vk_digest: vk, model },
};
fs.writeFileSync(`${dir}/package.json`, `${JSON.stringify(pkg, null, 2)}\n`);
JS
rm -rf "$out/package"
mv "$out/package.tmp" "$out/package"
rm -f "$out"/zkmnist-*.tgz
(cd "$out" && npm pack ./package --pack-destination . --silent >/dev/null)
tarball=$(ls "$out"/zkmnist-"$version".tgz)
echo "wrote $tarball ($(du -h "$tarball" | cut -f1); setup $setup)"
