internal import Cryptography
import Telemetry

/// What a gateway has applied from fleet documents, persisted (sealed, in the vault) so that it
/// survives restarts: the version and hash applied per target, the operator policy in force
/// after any key rotation, and the effective sections (each the latest applied copy).
public struct FleetState: Sendable, Equatable {
    /// One applied document.
    public struct Applied: Sendable, Equatable {
        /// The document version.
        public var version: UInt64
        /// SHA-256 of the canonical document.
        public var contentHash: [UInt8]
        /// Key ids of its signers.
        public var signerKeyIDs: [String]
        /// When it was applied (ms since the epoch).
        public var appliedAt: UInt64

        /// Creates a record.
        public init(version: UInt64, contentHash: [UInt8], signerKeyIDs: [String], appliedAt: UInt64) {
            self.version = version
            self.contentHash = contentHash
            self.signerKeyIDs = signerKeyIDs
            self.appliedAt = appliedAt
        }
    }

    /// The latest applied document per target key (`ConfigTarget.key`).
    public var applied: [String: Applied]
    /// The highest rolled-back version per target key: spent, so its retained copy is not tried
    /// again (after a restart it would stall ingest for the confirm timeout once more).
    public var rolledBack: [String: UInt64]
    /// The rotated operator policy; `nil` while the locally pinned bootstrap policy applies.
    public var policy: TrustPolicy?
    /// The effective fleet sections: for each section, the copy from the latest document that
    /// carried it. (`operators` is kept in ``policy`` instead.)
    public var sections: ConfigSections

    /// Nothing applied yet.
    public init() {
        applied = [:]
        rolledBack = [:]
        policy = nil
        sections = ConfigSections()
    }

    /// The version a new document for `target` must exceed: the applied one, or a later
    /// rolled-back one; `nil` if neither.
    public func appliedVersion(for target: ConfigTarget) -> UInt64? {
        switch (applied[target.key]?.version, rolledBack[target.key]) {
        case (let a?, let r?): max(a, r)
        case (let a?, nil): a
        case (nil, let r?): r
        case (nil, nil): nil
        }
    }

    /// The state after a rollback of `version` for `target`: that version is spent.
    public func rollingBack(version: UInt64, for target: ConfigTarget) -> FleetState {
        var next = self
        next.rolledBack[target.key] = max(version, rolledBack[target.key] ?? 0)
        return next
    }

    /// The state after applying `accepted` at `now`: present sections replace the effective
    /// ones, a rotation replaces the policy.
    public func applying(_ accepted: AcceptedConfig, at now: UInt64) -> FleetState {
        var next = self
        next.applied[accepted.document.target.key] = Applied(version: accepted.version, contentHash: accepted.contentHash,
                                                             signerKeyIDs: accepted.signerKeyIDs, appliedAt: now)
        let incoming = accepted.sections
        if let value = incoming.ingest { next.sections.ingest = value }
        if let value = incoming.sealing { next.sections.sealing = value }
        if let value = incoming.detection { next.sections.detection = value }
        if let value = incoming.storage { next.sections.storage = value }
        if let value = incoming.ledger { next.sections.ledger = value }
        if let value = incoming.broker { next.sections.broker = value }
        if let value = incoming.schemas { next.sections.schemas = value }
        if let value = incoming.egress { next.sections.egress = value }
        if let rotated = accepted.rotatedPolicy { next.policy = rotated }
        return next
    }

    /// Canonical JSON bytes (what the vault stores).
    public var encoded: [UInt8] {
        let applied: [(key: String, value: JSONValue)] = self.applied.sorted { $0.key < $1.key }.map { key, record in
            (key, .object([
                ("version", .number(Double(record.version))), ("hash", .string(record.contentHash.hexString)),
                ("signers", .array(record.signerKeyIDs.map { .string($0) })),
                ("applied_at", .number(Double(record.appliedAt))),
            ]))
        }
        var sections = self.sections
        sections.operators = policy.map { ConfigSections.Operators(policy: $0) }
        let rolledBack: [(key: String, value: JSONValue)] = self.rolledBack.sorted { $0.key < $1.key }
            .map { ($0.key, .number(Double($0.value))) }
        return JSONWriter.canonicalBytes(.object([
            ("format", .number(1)), ("applied", .object(applied)), ("rolled_back", .object(rolledBack)),
            ("sections", .object(sections.jsonMembers)),
        ]))
    }

    /// Decodes ``encoded`` bytes.
    /// - Throws: ``ConfigRejection`` `.malformed` naming the field.
    public init(encoded bytes: [UInt8]) throws(ConfigRejection) {
        let root: JSONValue
        do { root = try JSONParser(maxBytes: 1 << 20, maxDepth: 20).parse(bytes) } catch {
            throw ConfigRejection(.malformed(field: "fleet-state", detail: error.description))
        }
        var r = try SchemaReader(root, path: "fleet-state")
        guard try r.unsigned("format") == 1 else {
            throw ConfigRejection(.malformed(field: r.field("format"), detail: "unsupported format"))
        }
        var a = try SchemaReader(try r.required("applied"), path: r.field("applied"))
        var applied: [String: Applied] = [:]
        for (key, value) in a.entries() {
            var e = try SchemaReader(value, path: a.field(key))
            guard let hash = [UInt8](hex: try e.string("hash")) else {
                throw ConfigRejection(.malformed(field: e.field("hash"), detail: "expected hex"))
            }
            applied[key] = Applied(version: try e.unsigned("version"), contentHash: hash, signerKeyIDs: try e.strings("signers"),
                                   appliedAt: try e.unsigned("applied_at"))
            try e.finish()
        }
        try a.finish()
        var rolledBack: [String: UInt64] = [:]
        if let value = r.optional("rolled_back") {
            var b = try SchemaReader(value, path: r.field("rolled_back"))
            for key in b.keys { rolledBack[key] = try b.unsigned(key) }
            try b.finish()
        }
        var s = try SchemaReader(try r.required("sections"), path: r.field("sections"))
        var sections = try ConfigSections.read(from: &s)
        try s.finish()
        try r.finish()
        self.applied = applied
        self.rolledBack = rolledBack
        self.policy = sections.operators?.policy
        sections.operators = nil
        self.sections = sections
    }
}
