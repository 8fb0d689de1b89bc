internal import Cryptography
public import Telemetry

/// A version 1 fleet configuration document (the `document` member of a signed envelope).
public struct ConfigDocument: Sendable, Equatable {
    /// The only document format version this agent understands.
    public static let formatVersion: UInt64 = 1

    /// Who the document is for.
    public var target: ConfigTarget
    /// Monotonic per target; a gateway applies only versions above the one it runs.
    public var version: UInt64
    /// Not valid before this time (ms since the Unix epoch).
    public var notBefore: UInt64
    /// Not valid at or after this time (ms since the Unix epoch).
    public var expires: UInt64
    /// The configuration sections carried.
    public var sections: ConfigSections

    /// Creates a document.
    public init(target: ConfigTarget, version: UInt64, notBefore: UInt64, expires: UInt64,
                sections: ConfigSections) {
        self.target = target
        self.version = version
        self.notBefore = notBefore
        self.expires = expires
        self.sections = sections
    }

    /// Parses a document object strictly: unknown fields and wrong types are rejected with the
    /// field's path. Value ranges are not checked here (see `ConfigSections.firstUnsafeField`).
    public init(json: JSONValue) throws(ConfigRejection) {
        var r = try SchemaReader(json, path: "document")
        let format = try r.unsigned("format")
        guard format == ConfigDocument.formatVersion else {
            throw ConfigRejection(.malformed(field: r.field("format"), detail: "unsupported format version"))
        }
        target = try ConfigTarget(json: try r.required("target"), path: r.field("target"))
        version = try r.unsigned("version")
        notBefore = try r.unsigned("not_before")
        expires = try r.unsigned("expires")
        sections = try ConfigSections.read(from: &r)
        try r.finish()
    }

    /// The document as a JSON object.
    public var json: JSONValue {
        .object([
            ("format", .number(Double(ConfigDocument.formatVersion))),
            ("target", target.json),
            ("version", .number(Double(version))),
            ("not_before", .number(Double(notBefore))),
            ("expires", .number(Double(expires))),
        ] + sections.jsonMembers)
    }

    /// Domain separation prefix of every configuration signature.
    public static let signingDomain: [UInt8] = Array("vitalgate-config-v1\n".utf8)

    /// The bytes an operator signs: the domain string followed by the canonical document JSON.
    public static func signingMessage(for document: JSONValue) -> [UInt8] {
        signingDomain + JSONWriter.canonicalBytes(document)
    }

    /// SHA-256 of the canonical JSON bytes of a document object.
    public static func contentHash(of document: JSONValue) -> [UInt8] {
        SHA256.hash(JSONWriter.canonicalBytes(document))
    }
}
