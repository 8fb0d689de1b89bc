import Transparency

/// The RFC 9162 §2.1 definitions written as literal recursions over leaf hashes: slow, but an
/// independent reference for the incremental tree and the proof builders.
enum ReferenceMerkle {
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n {
            k <<= 1
        }
        return k
    }

    /// MTH(D[n]).
    static func root(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        switch leaves.count {
        case 0: return MerkleHasher.emptyTreeRoot
        case 1: return leaves.first!
        default:
            let k = split(leaves.count)
            let start = leaves.startIndex
            return MerkleHasher.nodeHash(root(leaves[start..<start + k]), root(leaves[(start + k)...]))
        }
    }

    /// PATH(m, D[n]).
    static func path(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
        guard leaves.count > 1 else { return [] }
        let k = split(leaves.count)
        let start = leaves.startIndex
        if m < k {
            return path(m, leaves[start..<start + k]) + [root(leaves[(start + k)...])]
        }
        return path(m - k, leaves[(start + k)...]) + [root(leaves[start..<start + k])]
    }

    /// PROOF(m, D[n]) = SUBPROOF(m, D[n], true).
    static func proof(_ m: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
        subproof(m, leaves, true)
    }

    private static func subproof(_ m: Int, _ leaves: ArraySlice<[UInt8]>, _ complete: Bool) -> [[UInt8]] {
        let n = leaves.count
        if m == n {
            return complete ? [] : [root(leaves)]
        }
        let k = split(n)
        let start = leaves.startIndex
        if m <= k {
            return subproof(m, leaves[start..<start + k], complete) + [root(leaves[(start + k)...])]
        }
        return subproof(m - k, leaves[(start + k)...], false) + [root(leaves[start..<start + k])]
    }
}
