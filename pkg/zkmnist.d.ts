/* tslint:disable */
/* eslint-disable */

/**
 * Keys loaded in the page: `keys.json`, `params.bin`, `vk.bin` and optionally `pk.bin`, as
 * `zkmnist setup` wrote them: the statement's verifier, and its prover once the proving key is
 * in. Files are checked against `keys.json`'s hashes and the key against the digests pinned in
 * this build.
 */
export class Keys {
    free(): void;
    [Symbol.dispose](): void;
    /**
     * Adds the proving key (`pk.bin`), checked against the same `keys.json`; the parameters
     * and verifying key already loaded are reused, not parsed again.
     */
    addProvingKey(pk: Uint8Array | number[]): void;
    /**
     * [`Keys::verify`]'s verdict with one more field, `outcome`: how it came about (`valid`,
     * `invalid`, `other_keys`, `malformed` or `failed`), which the page words for people.
     */
    check(proof_json: string): any;
    /**
     * Loads keys; `pk` may be empty (verification only; [`Keys::add_proving_key`] adds it).
     */
    constructor(origin: string, keys_json: Uint8Array | number[], params: Uint8Array | number[], vk: Uint8Array | number[], pk: Uint8Array | number[]);
    /**
     * Proves that `pixels` (784 bytes) is the model's digit, bound to `context` (0x-hex);
     * `on_stage` is called with "witness", "commitment", "proving", "checking" as each starts.
     */
    prove(pixels: Uint8Array | number[], context: string, on_stage: Function): any;
    /**
     * The verdict on a proof file's text, the same object `POST /api/verify` and
     * `zkmnist verify --json` give: `{valid, digit, image_commitment, context, vk_digest,
     * setup}`, with `error` when it is not valid. Never throws for a bad proof.
     */
    verify(proof_json: string): any;
    /**
     * Whether a proving key is loaded.
     */
    readonly canProve: boolean;
    /**
     * Whether the keys come from the INSECURE dev setup (anyone can forge proofs with them).
     */
    readonly insecure: boolean;
    /**
     * `dev-insecure` or `ptau:<blake2b>`.
     */
    readonly setup: string;
    /**
     * The verifying key's digest.
     */
    readonly vkDigest: string;
}

/**
 * The integer model's digit and logits for a 28x28 image (what the circuit will prove), and
 * each digit's confidence (softmax of the logits at their real scale; display only).
 */
export function classify(pixels: Uint8Array | number[]): any;

/**
 * Decodes what `DigitRegistry.entries(account)` returned: `{recorded, digit,
 * image_commitment}`; throws when the answer is not three ABI words of that shape.
 */
export function decodeRegistryEntry(output: string): any;

/**
 * The verifying-key digest and setup the embedded verifier contract was generated from.
 */
export function evmVerifierInfo(): any;

/**
 * What a proof file claims, read without verifying it: `{format, digit, image_commitment,
 * context, vk_digest, setup, proof_bytes}`. Throws with the reason when the file is malformed.
 */
export function inspect(proof_json: string): any;

/**
 * The SHA-256 of each key file `keys.json` lists (`{"params.bin": "..", ...}`), after checking
 * it is a keys manifest for this build's model; the page names its cache entries by them.
 */
export function keyFileHashes(origin: string, keys_json: Uint8Array | number[]): any;

/**
 * The largest proof or opening file the module reads, in bytes.
 */
export function maxFileBytes(): number;

/**
 * The built-in model: content hash, size and held-out accuracy.
 */
export function modelInfo(): any;

/**
 * Checks an opening file against a proof file, as `zkmnist open` does: its pixels and salt
 * must hash to the proof's commitment and the model must read the image as the proof's digit.
 * Returns `{digit, image_commitment, pixels}` (the 784 opened pixels); throws an `Error` whose
 * `kind` says what did not match (`opening_file`, `opening_mismatch`, or a proof file kind).
 */
export function open(proof_json: string, opening_json: string): any;

/**
 * An RGBA canvas to the 28x28 MNIST-style image, exactly as the CLI preprocesses pictures.
 */
export function preprocessRgba(width: number, height: number, rgba: Uint8Array | number[]): Uint8Array;

/**
 * `0x`-hex call data of `DigitRegistry.record(proof, imageCommitment, digit)` for a proof file.
 */
export function recordCalldata(proof_json: string): string;

/**
 * `0x`-hex call data of a registry view that takes one account: `contextFor(address)` or
 * `entries(address)`.
 */
export function registryViewCalldata(_function: string, account: string): string;

export function start(): void;

/**
 * The verdict of the committed verifier bytecode, deployed in an embedded EVM and called, on a
 * proof file: the native verdict's fields and `outcome` (as [`Keys::check`]), with the EVM's
 * `gas_used`, `verifier_gas` and `runtime_sizes` when the contracts ran. A bad file, or a proof
 * for other keys than the pinned ones the contracts were generated from, is a verdict
 * (`valid: false`, with `error`), never an exception.
 */
export function verifyEvm(proof_json: string): any;

/**
 * `0x`-hex call data of `ZkmnistVerifier.verify(proof, imageCommitment, digit, context)` for a
 * proof file, for `eth_call` against a deployed wrapper.
 */
export function wrapperCalldata(proof_json: string): string;

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

export interface InitOutput {
    readonly memory: WebAssembly.Memory;
    readonly __wbg_keys_free: (a: number, b: number) => void;
    readonly classify: (a: number, b: number) => [number, number, number];
    readonly decodeRegistryEntry: (a: number, b: number) => [number, number, number];
    readonly evmVerifierInfo: () => [number, number, number];
    readonly inspect: (a: number, b: number) => [number, number, number];
    readonly keyFileHashes: (a: number, b: number, c: number, d: number) => [number, number, number];
    readonly keys_addProvingKey: (a: number, b: number, c: number) => [number, number];
    readonly keys_canProve: (a: number) => number;
    readonly keys_check: (a: number, b: number, c: number) => [number, number, number];
    readonly keys_insecure: (a: number) => number;
    readonly keys_new: (a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number) => [number, number, number];
    readonly keys_prove: (a: number, b: number, c: number, d: number, e: number, f: any) => [number, number, number];
    readonly keys_setup: (a: number) => [number, number];
    readonly keys_verify: (a: number, b: number, c: number) => [number, number, number];
    readonly keys_vkDigest: (a: number) => [number, number];
    readonly maxFileBytes: () => number;
    readonly modelInfo: () => [number, number, number];
    readonly open: (a: number, b: number, c: number, d: number) => [number, number, number];
    readonly preprocessRgba: (a: number, b: number, c: number, d: number) => [number, number, number, number];
    readonly recordCalldata: (a: number, b: number) => [number, number, number, number];
    readonly registryViewCalldata: (a: number, b: number, c: number, d: number) => [number, number, number, number];
    readonly start: () => void;
    readonly verifyEvm: (a: number, b: number) => [number, number, number];
    readonly wrapperCalldata: (a: number, b: number) => [number, number, number, number];
    readonly __wbindgen_malloc: (a: number, b: number) => number;
    readonly __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
    readonly __wbindgen_free: (a: number, b: number, c: number) => void;
    readonly __wbindgen_exn_store: (a: number) => void;
    readonly __externref_table_alloc: () => number;
    readonly __wbindgen_externrefs: WebAssembly.Table;
    readonly __externref_table_dealloc: (a: number) => void;
    readonly __wbindgen_start: () => void;
}

export type SyncInitInput = BufferSource | WebAssembly.Module;

/**
 * Instantiates the given `module`, which can either be bytes or
 * a precompiled `WebAssembly.Module`.
 *
 * @param {{ module: SyncInitInput }} module - Passing `SyncInitInput` directly is deprecated.
 *
 * @returns {InitOutput}
 */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): InitOutput;

/**
 * If `module_or_path` is {RequestInfo} or {URL}, makes a request and
 * for everything else, calls `WebAssembly.instantiate` directly.
 *
 * @param {{ module_or_path: InitInput | Promise<InitInput> }} module_or_path - Passing `InitInput` directly is deprecated.
 *
 * @returns {Promise<InitOutput>}
 */
export default function __wbg_init (module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<InitOutput>;
