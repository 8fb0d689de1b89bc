import Telemetry
public import Secp256k1

/// A 20-byte Ethereum account address.
///
/// Derived from a public key as the last 20 bytes of `keccak256(x ‖ y)` over the 64-byte
/// uncompressed key. Printed with the EIP-55 mixed-case checksum.
public struct EthereumAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Length of an address: 20 bytes.
    public static let byteCount = 20

    /// The 20 address bytes.
    public let bytes: [UInt8]

    /// Wraps 20 bytes.
    /// - Throws: ``LightClientError`` `.invalidAddress` for any other length.
    public init(bytes: some Collection<UInt8>) throws(LightClientError) {
        guard bytes.count == Self.byteCount else {
            throw LightClientError(.invalidAddress, "address is \(bytes.count) bytes, expected 20")
        }
        self.bytes = Array(bytes)
    }

    /// Wraps bytes whose length the caller has already checked (decoders).
    init(checkedBytes bytes: [UInt8]) {
        precondition(bytes.count == Self.byteCount, "address of \(bytes.count) bytes")
        self.bytes = bytes
    }

    /// The address of `publicKey`: the last 20 bytes of `keccak256(uncompressed 64-byte key)`.
    public init(publicKey: PublicKey) {
        bytes = Array(Keccak256.hash(publicKey.uncompressed).suffix(Self.byteCount))
    }

    /// Parses 40 hex digits with an optional `0x` prefix.
    ///
    /// All-lower-case and all-upper-case text is accepted as is; mixed-case text must carry a
    /// valid EIP-55 checksum, so a mistyped checksummed address is rejected.
    /// - Throws: ``LightClientError`` `.invalidAddress`.
    public init(hex text: some StringProtocol) throws(LightClientError) {
        guard let decoded = Hex.decode(text), decoded.count == Self.byteCount else {
            throw LightClientError(.invalidAddress, "address text is not 40 hex digits")
        }
        try self.init(bytes: decoded)
        let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? String(text.dropFirst(2)) : String(text)
        let hasUpper = digits.utf8.contains { (0x41...0x46).contains($0) }
        let hasLower = digits.utf8.contains { (0x61...0x66).contains($0) }
        if hasUpper && hasLower && "0x" + digits != checksummed {
            throw LightClientError(.invalidAddress, "mixed-case address fails its EIP-55 checksum")
        }
    }

    /// The EIP-55 form: `0x`, then each hex letter upper-cased when the matching nibble of
    /// `keccak256(lower-case hex)` is 8 or more.
    public var checksummed: String {
        let lower = Array(Hex.encode(bytes).utf8)
        let hash = Keccak256.hash(lower)
        var out: [UInt8] = [0x30, 0x78]
        for (index, char) in lower.enumerated() {
            let nibble = index % 2 == 0 ? hash[index / 2] >> 4 : hash[index / 2] & 0x0F
            out.append(char >= 0x61 && nibble >= 8 ? char - 0x20 : char)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The EIP-55 checksummed text.
    public var description: String { checksummed }

    /// Byte-wise order (the order Besu keeps validator lists in).
    public static func < (lhs: EthereumAddress, rhs: EthereumAddress) -> Bool {
        lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
    }
}

extension PublicKey {
    /// The Ethereum address of this key.
    public var ethereumAddress: EthereumAddress { EthereumAddress(publicKey: self) }
}
