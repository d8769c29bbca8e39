// SPDX-License-Identifier: MIT
pragma solidity 0.8.19;

import "./ZkmnistVerifier.sol";

/// @title Example zkmnist consumer
/// @notice Records, for each account, a digit it has proved it drew, without the drawing ever
/// being revealed. The proof's context must be `contextFor(sender)`, which binds the chain, this
/// registry and the sender: a proof seen in the mempool cannot be replayed by someone else, on
/// another chain or at another registry. Each image commitment is accepted once (the same image
/// with a fresh salt is a new commitment: the registry limits proofs, not drawings).
contract DigitRegistry {
    /// The BN254 scalar field's modulus: contexts are field elements.
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    ZkmnistVerifier public immutable zkmnist;

    struct Entry {
        bool recorded;
        uint8 digit;
        uint256 imageCommitment;
    }

    mapping(address => Entry) public entries;
    mapping(uint256 => bool) public commitmentUsed;

    event DigitRecorded(address indexed account, uint8 digit, uint256 imageCommitment);

    constructor(ZkmnistVerifier zkmnist_) {
        zkmnist = zkmnist_;
    }

    /// The context a proof recorded by `account` must carry:
    /// keccak256(abi.encode(chainid, this registry, account)) reduced mod R.
    function contextFor(address account) public view returns (uint256) {
        return uint256(keccak256(abi.encode(block.chainid, address(this), account))) % R;
    }

    /// Prove with `zkmnist prove --context <contextFor(your address)>` (or the page, with that
    /// context), then call this with the proof file's `proof`, `image_commitment` and `digit`.
    function record(bytes calldata proof, uint256 imageCommitment, uint256 digit) external {
        require(digit < 10, "DigitRegistry: digit out of range");
        require(!commitmentUsed[imageCommitment], "DigitRegistry: image already used");
        uint256 context = contextFor(msg.sender);
        require(zkmnist.verify(proof, imageCommitment, digit, context), "DigitRegistry: invalid proof");
        commitmentUsed[imageCommitment] = true;
        entries[msg.sender] = Entry(true, uint8(digit), imageCommitment);
        emit DigitRecorded(msg.sender, uint8(digit), imageCommitment);
    }
}
