/// Hex-prefix ("compact") encoding of nibble paths in Merkle-Patricia trie leaf and extension
/// nodes (Yellow Paper, appendix C).
///
/// The first nibble holds two flags: bit 1 is set for a leaf (value node), bit 0 for an odd
/// number of path nibbles. An odd path puts its first nibble in the low half of the first byte;
/// an even path pads the first byte with a zero nibble.
public enum HexPrefix {
    /// Splits bytes into nibbles, high half first.
    public static func nibbles(_ bytes: some Sequence<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(byte >> 4)
            out.append(byte & 0x0F)
        }
        return out
    }

    /// Hex-prefix encodes a nibble path (every element must be below 16).
    public static func encode(_ path: some Collection<UInt8>, isLeaf: Bool) -> [UInt8] {
        let odd = path.count % 2 == 1
        let flags: UInt8 = (isLeaf ? 2 : 0) | (odd ? 1 : 0)
        var out: [UInt8] = []
        out.reserveCapacity(path.count / 2 + 1)
        var iterator = path.makeIterator()
        if odd {
            out.append(flags << 4 | (iterator.next()! & 0x0F))
        } else {
            out.append(flags << 4)
        }
        while let high = iterator.next(), let low = iterator.next() {
            out.append(high << 4 | (low & 0x0F))
        }
        return out
    }

    /// Decodes a hex-prefix encoded path. Returns nil for an empty input, an unknown flag
    /// nibble, or a non-zero padding nibble on an even path.
    public static func decode(_ encoded: some Collection<UInt8>) -> (path: [UInt8], isLeaf: Bool)? {
        guard let first = encoded.first else { return nil }
        let flags = first >> 4
        guard flags <= 3 else { return nil }
        let odd = flags & 1 == 1
        var path: [UInt8] = []
        path.reserveCapacity(encoded.count * 2)
        if odd {
            path.append(first & 0x0F)
        } else if first & 0x0F != 0 {
            return nil
        }
        path.append(contentsOf: nibbles(encoded.dropFirst()))
        return (path, flags & 2 == 2)
    }
}
