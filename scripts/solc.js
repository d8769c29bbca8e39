#!/usr/bin/env node
// Compiles Solidity offline with the solc-js version pinned in package.json: reads a solc
// standard-JSON input on stdin, writes the standard-JSON output on stdout. The version the
// sources' pragma names must be the one installed; anything else is an error, not a guess.
'use strict';
const solc = require('solc');

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const version = solc.version();
  const parsed = JSON.parse(input);
  for (const [name, source] of Object.entries(parsed.sources || {})) {
    const m = /pragma solidity\s+([^;]+);/.exec(source.content || '');
    if (m && !version.startsWith(m[1].replace(/^[\^=~]/, '').trim())) {
      process.stderr.write(`${name} asks for solidity ${m[1]}, installed solc-js is ${version}\n`);
      process.exit(2);
    }
  }
  process.stdout.write(solc.compile(input));
});
