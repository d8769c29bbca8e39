// SPDX-License-Identifier: MIT
pragma solidity 0.8.19;

/// @title zkmnist proof verifier with a typed ABI
/// @notice Checks a zkmnist proof: "the image whose Poseidon commitment is `imageCommitment`
/// is classified as `digit` by the published model", bound to `context`. Wraps the generated
/// Halo2Verifier (which takes raw calldata: the three public inputs, then the proof).
/// @dev Returns false only when the verifier rejected the proof. A call that failed because
/// it was given too little gas reverts instead, so `eth_estimateGas` and callers never mistake
/// an out-of-gas failure for a rejected proof.
contract ZkmnistVerifier {
    /// The generated Halo2Verifier.
    address public immutable verifier;

    /// The call ran out of gas before the verifier finished.
    error InsufficientGas();

    constructor(address verifier_) {
        require(verifier_.code.length > 0, "ZkmnistVerifier: verifier has no code");
        verifier = verifier_;
    }

    /// @param proof The proof bytes (`proof` in a zkmnist proof file).
    /// @param imageCommitment The Poseidon commitment to the hidden image (public input 0).
    /// @param digit The claimed digit, 0 to 9 (public input 1).
    /// @param context The value the proof is bound to, e.g. the caller's address (public input 2).
    /// @return valid Whether the proof is valid for these public inputs.
    function verify(bytes calldata proof, uint256 imageCommitment, uint256 digit, uint256 context)
        external
        view
        returns (bool valid)
    {
        address target = verifier;
        uint256 before;
        // The verifier's calldata is the three inputs, then the proof: assembled past the free
        // memory pointer with one copy (abi.encodePacked copied the proof word by word in a
        // loop, ~8k gas).
        assembly ("memory-safe") {
            let input := mload(0x40)
            mstore(input, imageCommitment)
            mstore(add(input, 0x20), digit)
            mstore(add(input, 0x40), context)
            calldatacopy(add(input, 0x60), proof.offset, proof.length)
            before := gas()
            valid := staticcall(gas(), target, input, add(0x60, proof.length), 0, 0)
        }
        // A verifier that ran out of gas consumed all it was given, leaving at most 1/64 of
        // `before` (EIP-150). A rejected proof is found only after all the checks, with gas
        // to spare; so little gas left means the verdict is unknown, not false.
        if (!valid && gasleft() <= before / 63) {
            revert InsufficientGas();
        }
    }
}
