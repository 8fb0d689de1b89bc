internal import Cryptography
public import Telemetry

/// The JSON form of a proof bundle, version 1 (docs/PROOF-BUNDLE.md): canonical JSON (sorted
/// keys, no whitespace) with hashes, salts and signatures as lowercase hex and the canonical
/// reading bytes as base64. Parsing is strict: bounded size and depth, no unknown members,
/// exact lengths, integers below 2^53.
extension ProofBundle {
    /// The bundle as a JSON value.
    public var jsonValue: JSONValue {
        var reading: [(key: String, value: JSONValue)] = [
            ("id", StrictObject.integer(self.reading.id)),
            ("commitment", .string(self.reading.commitment.hexString)),
            ("erased", .bool(self.reading.erased)),
        ]
        // Only when true: a bundle of content that was not pruned reads as before this member.
        if self.reading.pruned { reading.append(("pruned", .bool(true))) }
        if let salt = self.reading.salt { reading.append(("salt", .string(salt.hexString))) }
        if let canonical = self.reading.canonical {
            var encoded: [UInt8] = []
            Base64.encode(canonical, into: &encoded)
            reading.append(("canonical", .string(String(decoding: encoded, as: UTF8.self))))
        }
        let header = batch.header
        let batch: JSONValue = .object([
            ("header_version", .number(Double(header.version))),
            ("gateway", .string(header.gatewayID)),
            ("sequence", StrictObject.integer(header.sequence)),
            ("first_received_ms", StrictObject.integer(header.firstReceivedAt)),
            ("last_received_ms", StrictObject.integer(header.lastReceivedAt)),
            ("size", .number(Double(header.size))),
            ("root", .string(header.root.hexString)),
            ("prev_header_hash", .string(header.previousHash.hexString)),
            ("config_version", .string(header.configVersion)),
            ("signature", .string(self.batch.signature.hexString)),
            ("leaf_index", StrictObject.integer(self.batch.leafIndex)),
            ("audit_path", .array(self.batch.auditPath.map { .string($0.hexString) })),
        ])
        let log: JSONValue = .object([
            ("origin", .string(self.log.origin)),
            ("leaf_index", StrictObject.integer(self.log.leafIndex)),
            ("tree_size", StrictObject.integer(self.log.treeSize)),
            ("inclusion_path", .array(self.log.inclusionPath.map { .string($0.hexString) })),
            ("checkpoint", .string(self.log.checkpoint)),
        ])
        return .object([
            ("type", .string(Self.typeName)),
            ("version", .number(Double(version))),
            ("reading", .object(reading)),
            ("batch", batch),
            ("log", log),
            ("anchors", .array(anchors)),
        ])
    }

    /// Canonical JSON bytes, with a final newline.
    public var json: [UInt8] { JSONWriter.canonicalBytes(jsonValue) + [0x0A] }

    /// Parses a bundle strictly.
    /// - Throws: ``SealingError`` `.malformedBundle` (syntax, size, missing, unknown or
    ///   ill-typed member, bad length, inconsistent erasure flags) or `.unsupportedVersion`.
    public init(json bytes: [UInt8]) throws(SealingError) {
        let value: JSONValue
        do {
            value = try JSONParser(maxBytes: Self.maximumByteCount, maxDepth: 32).parse(bytes)
        } catch {
            throw SealingError(code: .malformedBundle, reason: "proof bundle is not valid JSON", underlying: error)
        }
        try self.init(jsonValue: value)
    }

    /// Reads a bundle from a parsed JSON value; see ``init(json:)``.
    public init(jsonValue value: JSONValue) throws(SealingError) {
        var root = try StrictObject(value, path: "bundle", code: .malformedBundle)
        guard try root.string("type") == Self.typeName else {
            throw SealingError(code: .malformedBundle, reason: "bundle.type is not \(Self.typeName)")
        }
        let version = try root.unsigned("version")
        guard version == UInt64(Self.currentVersion) else {
            throw SealingError(code: .unsupportedVersion, reason: "proof bundle version \(version) is not supported")
        }
        var readingObject = try root.object("reading")
        let reading = try Self.readingSection(&readingObject)
        try readingObject.finish()
        var batchObject = try root.object("batch")
        let batch = try Self.batchSection(&batchObject)
        try batchObject.finish()
        var logObject = try root.object("log")
        let log = try Self.logSection(&logObject)
        try logObject.finish()
        let anchors = try root.array("anchors")
        try root.finish()
        self.init(reading: reading, batch: batch, log: log, anchors: anchors)
    }

    private static func readingSection(_ object: inout StrictObject) throws(SealingError) -> ReadingSection {
        let id = try object.unsigned("id")
        let commitment = try object.hex("commitment", count: Commitment.byteCount)
        let erased = try object.bool("erased")
        let pruned = object.optional("pruned") == nil ? false : try object.bool("pruned")
        let salt: [UInt8]? = object.optional("salt") == nil ? nil : try object.hex("salt", count: Commitment.saltByteCount)
        var canonical: [UInt8]?
        if object.optional("canonical") != nil {
            guard let bytes = Base64.decode(try object.string("canonical")) else {
                throw object.fail("canonical", "must be base64")
            }
            canonical = bytes
        }
        if erased || pruned {
            guard salt == nil, canonical == nil else {
                throw object.fail(erased ? "erased" : "pruned", "is true but the salt or canonical bytes are present")
            }
        } else {
            guard salt != nil, canonical != nil else {
                throw object.fail("erased", "is false but the salt or canonical bytes are missing")
            }
        }
        var section = ReadingSection(id: id, commitment: commitment, salt: salt, canonical: canonical, erased: erased)
        section.pruned = pruned
        return section
    }

    private static func batchSection(_ object: inout StrictObject) throws(SealingError) -> BatchSection {
        let version = try object.unsigned("header_version")
        guard let headerVersion = UInt8(exactly: version), headerVersion == BatchHeader.currentVersion else {
            throw SealingError(code: .unsupportedVersion, reason: "batch header version \(version) is not supported")
        }
        let gateway = try object.string("gateway")
        let sequence = try object.unsigned("sequence")
        let first = try object.signed("first_received_ms")
        let last = try object.signed("last_received_ms")
        guard let size = UInt32(exactly: try object.unsigned("size")) else {
            throw object.fail("size", "must fit in 32 bits")
        }
        let root = try object.hex("root", count: 32)
        let previous = try object.hex("prev_header_hash", count: 32)
        let configVersion = try object.string("config_version")
        let signature = try object.hex("signature", count: Ed25519.signatureByteCount)
        let leafIndex = try object.unsigned("leaf_index")
        let path = try object.hashes("audit_path", limit: ProofBundle.maximumPathLength)
        let header: BatchHeader
        do {
            header = try BatchHeader(version: headerVersion, gatewayID: gateway, sequence: sequence,
                                     firstReceivedAt: first, lastReceivedAt: last, size: size, root: root,
                                     previousHash: previous, configVersion: configVersion)
        } catch {
            throw SealingError(code: .malformedBundle, reason: "bundle.batch header fields are invalid", underlying: error)
        }
        return BatchSection(header: header, signature: signature, leafIndex: leafIndex, auditPath: path)
    }

    private static func logSection(_ object: inout StrictObject) throws(SealingError) -> LogSection {
        let origin = try object.string("origin")
        let leafIndex = try object.unsigned("leaf_index")
        let treeSize = try object.unsigned("tree_size")
        let path = try object.hashes("inclusion_path", limit: ProofBundle.maximumPathLength)
        let checkpoint = try object.string("checkpoint")
        return LogSection(origin: origin, leafIndex: leafIndex, treeSize: treeSize, inclusionPath: path,
                          checkpoint: checkpoint)
    }
}
