// The npm package (scripts/build-npm.sh): packed with `npm pack`, installed from the tarball into
// an empty project, and its README's example run in Node against a CLI proof and a tampered one.
// Its verdicts must be the CLI's (`verify --json`) and the server's (`POST /api/verify`), byte
// for byte.
//
//   node --test tests/e2e/npm.test.mjs
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { root, cli, cliFails, tempDir, devKeys, serve, stopAll, tamper } from './helpers.mjs';

const tmp = tempDir('npm');
const project = path.join(tmp, 'app');
let keysDir, proofPath, tamperedPath, installed;

before(() => {
  keysDir = devKeys(path.join(tmp, 'keys'));
  execFileSync(path.join(root, 'scripts/build-npm.sh'), [keysDir], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const tarballs = readdirSync(path.join(root, 'target/npm')).filter((f) => /^zkmnist-.*\.tgz$/.test(f));
  assert.equal(tarballs.length, 1, `one tarball: ${tarballs}`);
  execFileSync('mkdir', ['-p', project]);
  writeFileSync(path.join(project, 'package.json'), '{"name": "app", "private": true, "type": "module"}\n');
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', path.join(root, 'target/npm', tarballs[0])], { cwd: project, stdio: ['ignore', 'pipe', 'inherit'] });
  installed = path.join(project, 'node_modules/zkmnist');
  // The README's example, as a user copies it.
  copyFileSync(path.join(installed, 'example.mjs'), path.join(project, 'example.mjs'));
  proofPath = path.join(tmp, 'proof.json');
  cli('prove', '--image', path.join(root, 'tests/fixtures/digit-3.png'), '--out', proofPath, '--keys', keysDir, '--context', '0xabc');
  tamperedPath = path.join(tmp, 'tampered.json');
  writeFileSync(tamperedPath, tamper(readFileSync(proofPath, 'utf8'), 500));
});
after(stopAll);

const example = (file) => spawnSync('node', ['example.mjs', file], { cwd: project, encoding: 'utf8' });

test('the package: README example, types, exports, bundled keys', () => {
  const pkg = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'zkmnist');
  assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
  assert.equal(pkg.exports['.'].types, './index.d.ts');
  assert.equal(pkg.zkmnist.setup, 'dev-insecure');
  for (const f of ['index.js', 'index.d.ts', 'zkmnist.d.ts', 'zkmnist_bg.wasm', 'keys/keys.json', 'keys/params.bin', 'keys/vk.bin']) {
    assert.ok(readFileSync(path.join(installed, f)).length > 0, f);
  }
  assert.throws(() => readFileSync(path.join(installed, 'keys/pk.bin')), 'the proving key is not shipped');
  const readme = readFileSync(path.join(installed, 'README.md'), 'utf8');
  const code = readFileSync(path.join(installed, 'example.mjs'), 'utf8');
  assert.ok(readme.includes(code), 'the README shows example.mjs verbatim');
  assert.ok(code.trim().split('\n').length <= 10, 'a 10-line example');
  assert.match(readme, /INSECURE/);
  assert.match(readFileSync(path.join(installed, 'index.d.ts'), 'utf8'), /export function verify\(proof: string \| Uint8Array\): Verdict;/);
});

test('a CLI proof: valid, the same verdict as the CLI and the server', async () => {
  const r = example(proofPath);
  assert.equal(r.status, 0, r.stderr);
  const verdict = JSON.parse(r.stdout);
  assert.equal(verdict.valid, true);
  assert.equal(verdict.digit, 3);
  assert.equal(verdict.context, `0x${'abc'.padStart(64, '0')}`);
  assert.match(r.stderr, /valid: the hidden image is a 3/);
  assert.equal(r.stdout.trim(), cli('verify', proofPath, '--keys', keysDir, '--json').trim());
  const base = await serve(keysDir);
  const res = await fetch(`${base}/api/verify`, { method: 'POST', body: readFileSync(proofPath) });
  assert.equal(res.status, 200);
  assert.equal((await res.text()).trim(), r.stdout.trim());
});

test('a tampered proof: not valid, exit status 1, the same verdict everywhere', async () => {
  const r = example(tamperedPath);
  assert.equal(r.status, 1);
  const verdict = JSON.parse(r.stdout);
  assert.equal(verdict.valid, false);
  assert.match(verdict.error, /the proof is invalid/);
  assert.equal(r.stdout.trim(), cliFails('verify', tamperedPath, '--keys', keysDir, '--json').stdout.trim());
  const base = await serve(keysDir);
  const res = await fetch(`${base}/api/verify`, { method: 'POST', body: readFileSync(tamperedPath) });
  assert.equal((await res.text()).trim(), r.stdout.trim());
});

test('a file that is not a proof: a verdict naming what is wrong', () => {
  const junk = path.join(tmp, 'junk.json');
  writeFileSync(junk, '{"hello": 1}');
  const r = example(junk);
  assert.equal(r.status, 1);
  const verdict = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(verdict), ['valid', 'error']);
  assert.match(verdict.error, /not a zkmnist proof file/);
});
