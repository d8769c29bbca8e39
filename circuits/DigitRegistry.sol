// SPDX-License-Identifier: MIT
pragma solidity 0.8.19;

import "./ZkmnistVerifier.sol";

/// @title Example zkmnist consumer
/// @notice Records, for each account, a digit it has proved it drew, without the drawing ever
/// being revealed. The proof's context must be the sender's address, so a proof seen in the
/// mempool cannot be replayed by someone else; each image commitment is accepted once.
contract DigitRegistry {
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

    /// Prove with `zkmnist prove --context <your address>` (or the page, with the address as
    /// context), then call this with the proof file's `proof`, `image_commitment` and `digit`.
    function record(bytes calldata proof, uint256 imageCommitment, uint256 digit) external {
        require(digit < 10, "DigitRegistry: digit out of range");
        require(!commitmentUsed[imageCommitment], "DigitRegistry: image already used");
        uint256 context = uint256(uint160(msg.sender));
        require(zkmnist.verify(proof, imageCommitment, digit, context), "DigitRegistry: invalid proof");
        commitmentUsed[imageCommitment] = true;
        entries[msg.sender] = Entry(true, uint8(digit), imageCommitment);
        emit DigitRecorded(msg.sender, uint8(digit), imageCommitment);
    }
}
