public import Cryptography
public import Telemetry
public import Transparency

/// The keys an auditor pins (`trust.json`, docs/PROOF-BUNDLE.md, "Trust file"): the gateway's
/// Ed25519 identity key, the log's origin and C2SP verifier key, and optionally witness
/// verifier keys with the number of their cosignatures a checkpoint needs.
public struct TrustAnchors: Sendable {
    /// The trust file format version.
    public static let currentVersion = 1
    /// The value of the `type` member.
    public static let typeName = "vitalgate.trust"
    /// The largest trust file accepted: 64 KiB.
    public static let maximumByteCount = 64 * 1024
    /// The most witness keys accepted: 32.
    public static let maximumWitnessCount = 32

    /// The gateway identity key that signs batch headers.
    public let gatewayKey: Ed25519.PublicKey
    /// If set, the gateway id every batch header must name.
    public let gatewayID: String?
    /// The log's checkpoint origin line.
    public let logOrigin: String
    /// The log's signed-note verifier key (type Ed25519, `0x01`).
    public let logKey: VerifierKey
    /// Witness verifier keys (type cosignature/v1, `0x04`).
    public let witnessKeys: [VerifierKey]
    /// How many distinct pinned witnesses must have cosigned the checkpoint.
    public let minimumCosignatures: Int
    /// The pinned external ledger for `anchors` entries (e.g. `{"type": "evm", "chain_id", …}`,
    /// docs/EVM-LEDGER.md), kept as JSON: the ledger verifiers read it, not this module.
    public var ledger: JSONValue?

    /// Creates trust anchors, checking key types and the quorum.
    /// - Throws: ``SealingError`` `.malformedTrust`.
    public init(gatewayKey: Ed25519.PublicKey, gatewayID: String? = nil, logOrigin: String, logKey: VerifierKey,
                witnessKeys: [VerifierKey] = [], minimumCosignatures: Int = 0) throws(SealingError) {
        guard !logOrigin.isEmpty else { throw SealingError(code: .malformedTrust, reason: "log origin is empty") }
        guard logKey.signatureType == NoteKeyID.ed25519 else {
            throw SealingError(code: .malformedTrust, reason: "log key \(logKey.name) is not an Ed25519 note key")
        }
        guard witnessKeys.count <= Self.maximumWitnessCount else {
            throw SealingError(code: .malformedTrust, reason: "more than \(Self.maximumWitnessCount) witness keys")
        }
        for (index, witness) in witnessKeys.enumerated() {
            guard witness.signatureType == NoteKeyID.cosignatureV1 else {
                throw SealingError(code: .malformedTrust, reason: "witness key \(index) is not a cosignature/v1 key")
            }
            guard !witnessKeys[..<index].contains(where: { $0.name == witness.name && $0.keyID == witness.keyID }) else {
                throw SealingError(code: .malformedTrust, reason: "witness key \(index) is listed twice")
            }
        }
        guard (0...witnessKeys.count).contains(minimumCosignatures) else {
            throw SealingError(code: .malformedTrust,
                               reason: "minimum cosignatures must be in 0...\(witnessKeys.count) (the pinned witnesses)")
        }
        self.gatewayKey = gatewayKey
        self.gatewayID = gatewayID
        self.logOrigin = logOrigin
        self.logKey = logKey
        self.witnessKeys = witnessKeys
        self.minimumCosignatures = minimumCosignatures
    }

    /// Parses `trust.json` strictly (no unknown members, exact key lengths, valid vkeys).
    /// - Throws: ``SealingError`` `.malformedTrust` or `.unsupportedVersion`.
    public init(json bytes: [UInt8]) throws(SealingError) {
        let value: JSONValue
        do {
            value = try JSONParser(maxBytes: Self.maximumByteCount, maxDepth: 6).parse(bytes)
        } catch {
            throw SealingError(code: .malformedTrust, reason: "trust file is not valid JSON", underlying: error)
        }
        var root = try StrictObject(value, path: "trust", code: .malformedTrust)
        guard try root.string("type") == Self.typeName else {
            throw SealingError(code: .malformedTrust, reason: "trust.type is not \(Self.typeName)")
        }
        let version = try root.unsigned("version")
        guard version == UInt64(Self.currentVersion) else {
            throw SealingError(code: .unsupportedVersion, reason: "trust file version \(version) is not supported")
        }
        let keyBytes = try root.hex("gateway_public_key", count: Ed25519.keyByteCount)
        let gatewayKey: Ed25519.PublicKey
        do { gatewayKey = try Ed25519.PublicKey(rawRepresentation: keyBytes) } catch {
            throw SealingError(code: .malformedTrust, reason: "trust.gateway_public_key is not an Ed25519 key",
                               underlying: error)
        }
        let gatewayID: String? = root.optional("gateway_id") == nil ? nil : try root.string("gateway_id")
        let origin = try root.string("log_origin")
        let logKey = try Self.verifierKey(try root.string("log_vkey"), "trust.log_vkey")
        var witnesses: [VerifierKey] = []
        if root.optional("witness_vkeys") != nil {
            let elements = try root.array("witness_vkeys")
            guard elements.count <= Self.maximumWitnessCount else {
                throw SealingError(code: .malformedTrust, reason: "more than \(Self.maximumWitnessCount) witness keys")
            }
            for (index, element) in elements.enumerated() {
                guard let text = element.stringValue else {
                    throw SealingError(code: .malformedTrust, reason: "trust.witness_vkeys[\(index)] must be a string")
                }
                witnesses.append(try Self.verifierKey(text, "trust.witness_vkeys[\(index)]"))
            }
        }
        var minimum = 0
        if root.optional("min_cosignatures") != nil {
            minimum = Int(try root.unsigned("min_cosignatures"))
        }
        let ledger = root.optional("ledger")
        if let ledger, ledger.objectValue == nil {
            throw SealingError(code: .malformedTrust, reason: "trust.ledger must be an object")
        }
        try root.finish()
        try self.init(gatewayKey: gatewayKey, gatewayID: gatewayID, logOrigin: origin, logKey: logKey,
                      witnessKeys: witnesses, minimumCosignatures: minimum)
        self.ledger = ledger
    }

    /// The trust file as canonical JSON with a final newline.
    public var json: [UInt8] {
        var members: [(key: String, value: JSONValue)] = [
            ("type", .string(Self.typeName)),
            ("version", .number(Double(Self.currentVersion))),
            ("gateway_public_key", .string(gatewayKey.rawRepresentation.hexString)),
            ("log_origin", .string(logOrigin)),
            ("log_vkey", .string(logKey.description)),
            ("witness_vkeys", .array(witnessKeys.map { .string($0.description) })),
            ("min_cosignatures", .number(Double(minimumCosignatures))),
        ]
        if let gatewayID { members.append(("gateway_id", .string(gatewayID))) }
        if let ledger { members.append(("ledger", ledger)) }
        return JSONWriter.canonicalBytes(.object(members)) + [0x0A]
    }

    private static func verifierKey(_ text: String, _ path: String) throws(SealingError) -> VerifierKey {
        do { return try VerifierKey(parsing: text) } catch {
            throw SealingError(code: .malformedTrust, reason: "\(path) is not a valid verifier key", underlying: error)
        }
    }
}
