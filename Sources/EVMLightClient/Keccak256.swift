/// Keccak-256 as used by Ethereum: Keccak-f[1600], rate 136 bytes, capacity 512 bits and the
/// original Keccak padding (`0x01 ... 0x80`).
///
/// This is **not** FIPS-202 SHA3-256, which pads with `0x06`; the two give different digests.
/// Use the one-shot hash(_:) or feed data incrementally with update(_:) and
/// finalize().
///
/// ```swift
/// let digest = Keccak256.hash(Array("abc".utf8))  // 4e03657a...
/// ```
public struct Keccak256: Sendable {
    /// The rate (block size) in bytes.
    public static let blockSize = 136
    /// The digest size in bytes.
    public static let digestSize = 32

    private var state: [UInt64] = Array(repeating: 0, count: 25)
    private var pending: [UInt8] = []

    /// Creates an empty hasher.
    public init() {
        pending.reserveCapacity(Self.blockSize)
    }

    /// Returns the 32-byte Keccak-256 digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = Keccak256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Absorbs `bytes` into the hash state.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            absorb(UnsafeRawBufferPointer(buffer))
        }
        if done == nil {
            let copy = Array(bytes)
            copy.withUnsafeBytes { absorb($0) }
        }
    }

    /// Pads, squeezes and returns the 32-byte digest. The hasher is consumed.
    public consuming func finalize() -> [UInt8] {
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        for (index, byte) in pending.enumerated() { block[index] = byte }
        block[pending.count] ^= 0x01
        block[Self.blockSize - 1] ^= 0x80
        block.withUnsafeBytes { absorbBlock($0.baseAddress!) }
        var digest = [UInt8](repeating: 0, count: Self.digestSize)
        for lane in 0..<4 {
            let value = state[lane]
            for byte in 0..<8 { digest[lane * 8 + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte))) }
        }
        return digest
    }

    private mutating func absorb(_ input: UnsafeRawBufferPointer) {
        guard var base = input.baseAddress else { return }
        var remaining = input.count
        // Complete a partially filled block first.
        if !pending.isEmpty {
            let take = min(Self.blockSize - pending.count, remaining)
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: take))
            base += take
            remaining -= take
            if pending.count == Self.blockSize {
                pending.withUnsafeBytes { absorbBlock($0.baseAddress!) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        while remaining >= Self.blockSize {
            absorbBlock(base)
            base += Self.blockSize
            remaining -= Self.blockSize
        }
        if remaining > 0 {
            pending.append(contentsOf: UnsafeRawBufferPointer(start: base, count: remaining))
        }
    }

    /// XORs one 136-byte block (17 little-endian lanes) into the state and permutes.
    private mutating func absorbBlock(_ block: UnsafeRawPointer) {
        state.withUnsafeMutableBufferPointer { lanes in
            for lane in 0..<(Self.blockSize / 8) {
                lanes[lane] ^= UInt64(littleEndian: block.loadUnaligned(fromByteOffset: lane * 8, as: UInt64.self))
            }
            Self.permute(lanes.baseAddress!)
        }
    }

    @inline(__always)
    private static func rotl(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value &<< count) | (value &>> (64 &- count))
    }

    private static let roundConstants: [UInt64] = [
        0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
        0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
        0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
        0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
        0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
        0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
    ]

    /// Keccak-f[1600]: 24 rounds of theta, rho, pi, chi and iota, unrolled over the 25 lanes
    /// (lane `aNN` is index x + 5y; the rho offsets and pi lane moves are written out).
    private static func permute(_ s: UnsafeMutablePointer<UInt64>) {
        var a00 = s[0], a01 = s[1], a02 = s[2], a03 = s[3], a04 = s[4]
        var a05 = s[5], a06 = s[6], a07 = s[7], a08 = s[8], a09 = s[9]
        var a10 = s[10], a11 = s[11], a12 = s[12], a13 = s[13], a14 = s[14]
        var a15 = s[15], a16 = s[16], a17 = s[17], a18 = s[18], a19 = s[19]
        var a20 = s[20], a21 = s[21], a22 = s[22], a23 = s[23], a24 = s[24]
        for round in 0..<24 {
            let c0 = a00 ^ a05 ^ a10 ^ a15 ^ a20
            let c1 = a01 ^ a06 ^ a11 ^ a16 ^ a21
            let c2 = a02 ^ a07 ^ a12 ^ a17 ^ a22
            let c3 = a03 ^ a08 ^ a13 ^ a18 ^ a23
            let c4 = a04 ^ a09 ^ a14 ^ a19 ^ a24
            let d0 = c4 ^ rotl(c1, 1)
            let d1 = c0 ^ rotl(c2, 1)
            let d2 = c1 ^ rotl(c3, 1)
            let d3 = c2 ^ rotl(c4, 1)
            let d4 = c3 ^ rotl(c0, 1)
            let b00 = (a00 ^ d0)
            let b01 = rotl((a06 ^ d1), 44)
            let b02 = rotl((a12 ^ d2), 43)
            let b03 = rotl((a18 ^ d3), 21)
            let b04 = rotl((a24 ^ d4), 14)
            let b05 = rotl((a03 ^ d3), 28)
            let b06 = rotl((a09 ^ d4), 20)
            let b07 = rotl((a10 ^ d0), 3)
            let b08 = rotl((a16 ^ d1), 45)
            let b09 = rotl((a22 ^ d2), 61)
            let b10 = rotl((a01 ^ d1), 1)
            let b11 = rotl((a07 ^ d2), 6)
            let b12 = rotl((a13 ^ d3), 25)
            let b13 = rotl((a19 ^ d4), 8)
            let b14 = rotl((a20 ^ d0), 18)
            let b15 = rotl((a04 ^ d4), 27)
            let b16 = rotl((a05 ^ d0), 36)
            let b17 = rotl((a11 ^ d1), 10)
            let b18 = rotl((a17 ^ d2), 15)
            let b19 = rotl((a23 ^ d3), 56)
            let b20 = rotl((a02 ^ d2), 62)
            let b21 = rotl((a08 ^ d3), 55)
            let b22 = rotl((a14 ^ d4), 39)
            let b23 = rotl((a15 ^ d0), 41)
            let b24 = rotl((a21 ^ d1), 2)
            a00 = b00 ^ (~b01 & b02)
            a01 = b01 ^ (~b02 & b03)
            a02 = b02 ^ (~b03 & b04)
            a03 = b03 ^ (~b04 & b00)
            a04 = b04 ^ (~b00 & b01)
            a05 = b05 ^ (~b06 & b07)
            a06 = b06 ^ (~b07 & b08)
            a07 = b07 ^ (~b08 & b09)
            a08 = b08 ^ (~b09 & b05)
            a09 = b09 ^ (~b05 & b06)
            a10 = b10 ^ (~b11 & b12)
            a11 = b11 ^ (~b12 & b13)
            a12 = b12 ^ (~b13 & b14)
            a13 = b13 ^ (~b14 & b10)
            a14 = b14 ^ (~b10 & b11)
            a15 = b15 ^ (~b16 & b17)
            a16 = b16 ^ (~b17 & b18)
            a17 = b17 ^ (~b18 & b19)
            a18 = b18 ^ (~b19 & b15)
            a19 = b19 ^ (~b15 & b16)
            a20 = b20 ^ (~b21 & b22)
            a21 = b21 ^ (~b22 & b23)
            a22 = b22 ^ (~b23 & b24)
            a23 = b23 ^ (~b24 & b20)
            a24 = b24 ^ (~b20 & b21)
            a00 ^= roundConstants[round]
        }
        s[0] = a00; s[1] = a01; s[2] = a02; s[3] = a03; s[4] = a04
        s[5] = a05; s[6] = a06; s[7] = a07; s[8] = a08; s[9] = a09
        s[10] = a10; s[11] = a11; s[12] = a12; s[13] = a13; s[14] = a14
        s[15] = a15; s[16] = a16; s[17] = a17; s[18] = a18; s[19] = a19
        s[20] = a20; s[21] = a21; s[22] = a22; s[23] = a23; s[24] = a24
    }
}
