// What the page says about files and verdicts, in plain words. The module's own message stays
// available as the detail (shown under "Details"), never as the headline.

export function formatBytes(n) {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(n < 10 * 1024 ? 1 : 0)} KB`;
  return `${(n / (1024 * 1024)).toFixed(1)} MB`;
}

export function article(digit) {
  return digit === 8 ? 'an' : 'a';
}

// Why a proof file was refused, from the module's error kind (`inspect`).
export function proofFileProblem(name, kind, message) {
  switch (kind) {
    case 'not_text':
      return `${name} is not a text file, so it is not a zkmnist proof (proof files are JSON, about 12 KB).`;
    case 'json':
      return `${name} is not a zkmnist proof file: it is not JSON, or not the JSON that zkmnist writes.`;
    case 'format':
      if (/zkmnist-opening/.test(message)) return `${name} is an opening, not a proof: load its proof first, then use Upload opening (under "Reveal the image").`;
      return `${name} is a proof file of another format than this page reads (${message.replace(/^proof file: /, '')}).`;
    case 'duplicate_key':
      return `${name} is damaged or was edited: a field appears twice, so different readers would see different claims.`;
    case 'field': {
      const field = (message.match(/^proof file: ([a-z_]+):/) || [])[1];
      return `${name} is damaged or was edited: its ${field ? `"${field}" field` : 'content'} is not what zkmnist writes${field === 'calldata' ? ' (the calldata no longer matches the proof and its public inputs)' : ''}.`;
    }
    case 'too_large':
      return `${name} is too large to be a proof file.`;
    default:
      return `${name} cannot be read as a proof: ${message}`;
  }
}

// Why an opening was refused (`open`).
export function openingProblem(name, kind, message) {
  if (kind === 'opening_mismatch') {
    if (/not to the commitment it states/.test(message)) {
      return `${name} is damaged or was edited: its pixels and salt do not hash to the commitment it states.`;
    }
    if (/the proof commits to/.test(message)) {
      return `${name} belongs to another proof: it opens a different image commitment than the proof shown.`;
    }
    if (/model reads the opened image/.test(message)) {
      return `${name} opens this commitment, but the model reads its image as another digit than the proof claims.`;
    }
    return `${name} does not open this proof: ${message}`;
  }
  if (kind === 'opening_file') return `${name} is not a zkmnist opening file (the salt and pixels zkmnist writes as opening.json).`;
  return `${name} cannot be checked: ${message}`;
}

// A verdict ({valid, outcome, digit, error}) in words.
export function verdictWords(v, where) {
  if (v.valid) return `Valid${where}: the published model reads the committed image as ${v.digit}.`;
  switch (v.outcome) {
    case 'invalid':
      return `Not valid${where}: the proof does not hold for the digit, commitment and context it claims. It was altered, or made for other values.`;
    case 'other_keys':
      return `Not valid${where}: the proof was made with other keys than this page's (another setup or circuit).`;
    case 'malformed':
      return `Not valid${where}: the file is not a well-formed proof.`;
    default:
      return `Could not verify${where}: the verifier itself failed.`;
  }
}
