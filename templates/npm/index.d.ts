/** The answer to "does this proof file verify?": the same object `zkmnist verify --json` and
 * `POST /api/verify` give. A malformed file has only `valid` and `error`. */
export interface Verdict {
  valid: boolean;
  digit?: number;
  image_commitment?: string;
  context?: string;
  vk_digest?: string;
  setup?: string;
  error?: string;
}

/** What a proof file claims (nothing verified). */
export interface Inspected {
  format: string;
  digit: number;
  image_commitment: string;
  context: string;
  vk_digest: string;
  setup: string;
  proof_bytes: number;
}

/** The embedded EVM's answer, with gas. */
export interface EvmVerdict {
  valid: boolean;
  gas_used: number;
  verifier_gas: number;
  runtime_sizes: [number, number, number];
}

export interface ModelInfo {
  content_hash: string;
  macs: number;
  parameters: number;
  quantized_holdout_accuracy: number;
}

export function verify(proof: string | Uint8Array): Verdict;
export function inspect(proof: string | Uint8Array): Inspected;
export function verifyEvm(proof: string | Uint8Array): EvmVerdict;
export function modelInfo(): ModelInfo;
export function setup(): string;
