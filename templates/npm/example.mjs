// Verifies a zkmnist proof file and prints the verdict:  node example.mjs proof.json
import { readFileSync } from 'node:fs';
import { verify } from 'zkmnist';

const verdict = verify(readFileSync(process.argv[2], 'utf8'));
console.log(JSON.stringify(verdict));
if (verdict.valid) console.error(`valid: the hidden image is a ${verdict.digit}`);
else console.error(`not valid: ${verdict.error}`);
process.exitCode = verdict.valid ? 0 : 1;
