internal import Cryptography

/// The RFC 6962 / RFC 9162 (§2.1.1) hash functions of a Merkle tree over SHA-256.
///
/// Leaves and interior nodes are domain-separated by a one-byte prefix, so a leaf can never
/// be passed off as an interior node (second-preimage protection):
///
/// - leaf hash `= SHA-256(0x00 ‖ leaf)`
/// - node hash `= SHA-256(0x01 ‖ left ‖ right)`
/// - the root of the empty tree `= SHA-256("")`
public enum MerkleHasher {
    /// The length of every hash in the tree: 32 bytes.
    public static let hashByteCount = 32

    /// The Merkle tree hash of the empty tree, `SHA-256("")`
    /// (`e3b0c442…52b855`).
    public static let emptyTreeRoot: [UInt8] = SHA256.hash([UInt8]())

    /// The hash of a leaf: `SHA-256(0x00 ‖ leaf)`.
    ///
    /// The array overload is the hot path (batch trees, the log): the generic one, called across
    /// the module boundary unspecialised, copied the leaf byte by byte through value witnesses.
    public static func leafHash(_ leaf: [UInt8]) -> [UInt8] {
        var input: [UInt8] = []
        input.reserveCapacity(1 + leaf.count)
        input.append(0x00)
        input.append(contentsOf: leaf)
        return SHA256.hash(input)
    }

    /// The hash of a leaf: `SHA-256(0x00 ‖ leaf)`.
    public static func leafHash(_ leaf: some Sequence<UInt8>) -> [UInt8] {
        var input: [UInt8] = [0x00]
        input.append(contentsOf: leaf)
        return SHA256.hash(input)
    }

    /// The Merkle tree hash (RFC 9162 §2.1.1) of `leaves`, computed bottom-up in one buffer: each
    /// level pairs neighbours and carries an odd last node up unchanged, which yields the same
    /// left-balanced tree as the recursive definition. For batch roots, where building a
    /// ``MerkleTree`` allocated per node.
    public static func rootHash(ofLeaves leaves: [[UInt8]]) -> [UInt8] {
        guard !leaves.isEmpty else { return emptyTreeRoot }
        var nodes = [UInt8](repeating: 0, count: leaves.count * hashByteCount)
        for (index, leaf) in leaves.enumerated() {
            nodes.replaceSubrange(index * hashByteCount..<(index + 1) * hashByteCount, with: leafHash(leaf))
        }
        var input = [UInt8](repeating: 0x01, count: 1 + 2 * hashByteCount)
        var width = leaves.count
        nodes.withUnsafeMutableBytes { level in
            input.withUnsafeMutableBytes { buffer in
                while width > 1 {
                    for pair in 0..<width / 2 {
                        UnsafeMutableRawBufferPointer(rebasing: buffer[1..<buffer.count]).copyMemory(
                            from: UnsafeRawBufferPointer(
                                rebasing: level[(2 * pair) * hashByteCount..<(2 * pair + 2) * hashByteCount]))
                        SHA256.hash(UnsafeRawBufferPointer(buffer),
                                    into: UnsafeMutableRawBufferPointer(
                                        rebasing: level[pair * hashByteCount..<(pair + 1) * hashByteCount]))
                    }
                    if width % 2 == 1 {
                        let last = width - 1
                        UnsafeMutableRawBufferPointer(
                            rebasing: level[(width / 2) * hashByteCount..<(width / 2 + 1) * hashByteCount]).copyMemory(
                            from: UnsafeRawBufferPointer(rebasing: level[last * hashByteCount..<width * hashByteCount]))
                    }
                    width = (width + 1) / 2
                }
            }
        }
        return Array(nodes[0..<hashByteCount])
    }

    /// The hash of an interior node: `SHA-256(0x01 ‖ left ‖ right)`.
    ///
    /// The children are normally 32-byte hashes; this function does not check their length
    /// (the verifier checks untrusted hashes before hashing them).
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var input: [UInt8] = []
        input.reserveCapacity(1 + left.count + right.count)
        input.append(0x01)
        input.append(contentsOf: left)
        input.append(contentsOf: right)
        return SHA256.hash(input)
    }
}

/// Bit arithmetic on tree sizes shared by the builder and the verifier.
enum TreeMath {
    /// The largest power of two strictly smaller than `n` (`n >= 2`): the size of the left
    /// subtree in the RFC 6962 split of a tree of `n` leaves.
    static func largestPowerOfTwo(below n: UInt64) -> UInt64 {
        precondition(n >= 2, "split of a tree with fewer than two leaves")
        return UInt64(1) << (63 - (n - 1).leadingZeroBitCount)
    }

    /// The height of the largest perfect subtree that fits in `n` leaves (`n >= 1`).
    static func highestBitIndex(_ n: UInt64) -> Int {
        precondition(n >= 1, "empty range")
        return 63 - n.leadingZeroBitCount
    }
}
