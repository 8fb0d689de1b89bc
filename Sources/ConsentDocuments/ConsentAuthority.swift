public import Fleet
public import Telemetry

/// The consent-authority keys a gateway pins, and how many distinct valid signatures a consent
/// document needs. The file format:
/// `{"keys": [{"name", "public_key"[, "key_id"]}], "threshold": k}` (threshold optional, default 1;
/// the key objects are what `fleet keygen` / `consent keygen` print).
public struct ConsentAuthority: Sendable, Equatable {
    /// The pinned keys.
    public let keys: [OperatorKey]
    /// Distinct valid signatures a document needs (1...keys.count).
    public let threshold: Int

    /// Creates an authority; `threshold` is clamped to 1...keys.count.
    public init(keys: [OperatorKey], threshold: Int = 1) {
        self.keys = keys
        self.threshold = min(max(1, threshold), max(1, keys.count))
    }

    /// Parses an authority file's JSON.
    /// - Throws: ``ConfigRejection`` `.malformed` naming the field.
    public init(json: JSONValue) throws(ConfigRejection) {
        var r = try SchemaReader(json, path: "authority")
        let keys = try OperatorKey.readList(try r.array("keys"), path: r.field("keys"))
        guard !keys.isEmpty else { throw ConfigRejection(.malformed(field: r.field("keys"), detail: "no keys pinned")) }
        var threshold: UInt64 = 1
        if r.optional("threshold") != nil { threshold = try r.unsigned("threshold") }
        guard (1...UInt64(keys.count)).contains(threshold) else {
            throw ConfigRejection(.malformed(field: r.field("threshold"), detail: "must be within 1...number of keys"))
        }
        try r.finish()
        self.init(keys: keys, threshold: Int(threshold))
    }

    /// The pinned key with `keyID`, if any.
    public func key(withID keyID: String) -> OperatorKey? { keys.first { $0.keyID == keyID } }
}
