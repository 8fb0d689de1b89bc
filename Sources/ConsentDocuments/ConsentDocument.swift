public import Consent
public import Cryptography
public import Fleet
public import Telemetry

/// A version 1 consent document (the `document` member of a signed envelope): one version of
/// one patient's consent record, addressed to a gateway or a group, valid from `issued_at`
/// until `expires`, carrying a FHIR R4 `Consent` resource (docs/CONSENT.md, "Documents").
///
/// ```json
/// {"format": 1, "target": {"gateway": "gw-a"}, "version": 3, "issued_at": 1800000000000,
///  "expires": 1800604800000, "consent": {"resourceType": "Consent", ...}}
/// ```
public struct ConsentDocument: Sendable, Equatable {
    /// The only document format this agent understands.
    public static let formatVersion: UInt64 = 1
    /// Largest envelope accepted, in bytes.
    public static let maxBytes = 32 * 1024
    /// Deepest JSON nesting accepted (room for ``ConsentProvision/maxDepth`` nested provisions).
    public static let maxJSONDepth = 32
    /// Domain separation prefix of every consent signature (never valid as a fleet signature).
    public static let signingDomain: [UInt8] = Array("vitalgate-consent-v1\n".utf8)

    /// Who the document is for.
    public var target: ConfigTarget
    /// The record's version: above every version this gateway accepted for the same patient and id.
    public var version: UInt64
    /// When the authority issued it (ms since the epoch).
    public var issuedAt: UInt64
    /// Not accepted at or after this time (ms since the epoch).
    public var expires: UInt64
    /// The record the `consent` member describes (its `source` names the first signer).
    public var record: ConsentRecord
    /// The patient identifier's system as the body names it.
    public var patientSystem: String

    /// Creates a document.
    public init(target: ConfigTarget, version: UInt64, issuedAt: UInt64, expires: UInt64, record: ConsentRecord,
                patientSystem: String) {
        self.target = target
        self.version = version
        self.issuedAt = issuedAt
        self.expires = expires
        self.record = record
        self.patientSystem = patientSystem
    }

    /// Parses a document object strictly (unknown fields, wrong types, bad codes refused with the
    /// field's path). `signer` is the key id recorded as the record's source.
    public init(json: JSONValue, signer: String) throws(ConfigRejection) {
        var r = try SchemaReader(json, path: "document")
        guard try r.unsigned("format") == ConsentDocument.formatVersion else {
            throw ConfigRejection(.malformed(field: r.field("format"), detail: "unsupported format version"))
        }
        target = try ConfigTarget(json: try r.required("target"), path: r.field("target"))
        version = try r.unsigned("version")
        issuedAt = try r.unsigned("issued_at")
        expires = try r.unsigned("expires")
        guard expires > issuedAt else {
            throw ConfigRejection(.malformed(field: r.field("expires"), detail: "must be after issued_at"))
        }
        let body = try r.required("consent")
        record = try FHIRConsent.record(body, path: r.field("consent"), version: version, source: .document(keyID: signer))
        patientSystem = body["patient"]?["identifier"]?["system"]?.stringValue ?? ""
        try r.finish()
    }

    /// The document as a JSON object.
    public var json: JSONValue {
        .object([
            ("format", .number(Double(ConsentDocument.formatVersion))), ("target", target.json),
            ("version", .number(Double(version))), ("issued_at", .number(Double(issuedAt))),
            ("expires", .number(Double(expires))), ("consent", FHIRConsent.json(record, patientSystem: patientSystem)),
        ])
    }

    /// The bytes an authority signs: the domain string followed by the canonical document JSON.
    public static func signingMessage(for document: JSONValue) -> [UInt8] {
        signingDomain + JSONWriter.canonicalBytes(document)
    }

    /// SHA-256 of the canonical JSON bytes of a document object.
    public static func contentHash(of document: JSONValue) -> [UInt8] {
        SHA256.hash(JSONWriter.canonicalBytes(document))
    }
}

/// A consent envelope parsed strictly but not yet verified.
public struct SignedConsent: Sendable {
    /// The document object exactly as received.
    public let documentJSON: JSONValue
    /// The parsed document.
    public let document: ConsentDocument
    /// The signatures, in envelope order.
    public let signatures: [ConfigSignature]

    /// Parses envelope bytes: size limit, strict JSON, no unknown fields, a FHIR Consent body.
    /// - Throws: ``ConfigRejection`` `.oversize` or `.malformed` naming the field.
    public init(bytes: some Collection<UInt8>) throws(ConfigRejection) {
        let envelope = try SignedEnvelope(bytes: bytes, maxBytes: ConsentDocument.maxBytes,
                                          maxDepth: ConsentDocument.maxJSONDepth)
        documentJSON = envelope.documentJSON
        signatures = envelope.signatures
        document = try ConsentDocument(json: documentJSON, signer: envelope.signatures.first?.keyID ?? "")
    }

    /// SHA-256 of the canonical document.
    public var contentHash: [UInt8] { ConsentDocument.contentHash(of: documentJSON) }

    /// A signed envelope of a document object carrying one signature from each of `signers`.
    public static func sign(json document: JSONValue, with signers: [ConfigSigner]) throws(CryptoError) -> [UInt8] {
        var signatures: [ConfigSignature] = []
        for signer in signers {
            signatures.append(try signer.signature(forDocument: document, domain: ConsentDocument.signingDomain))
        }
        return SignedEnvelope.serialise(document: document, signatures: signatures)
    }
}
