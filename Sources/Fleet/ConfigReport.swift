public import Telemetry

/// What a gateway publishes, retained, on `vitalgate/{gateway}/config/reported` after each
/// document it evaluates: the outcome for that document and what it runs now.
public struct ConfigReport: Sendable, Equatable {
    /// The outcome for the document.
    public enum Status: String, Sendable, Equatable {
        /// Verified and applied as a whole.
        case applied
        /// Refused; the running configuration is unchanged.
        case rejected
        /// Verified, but reverted because the gateway could not confirm a broker change in time.
        case rolledBack = "rolled-back"
    }

    /// The reporting gateway.
    public var gateway: String
    /// The outcome.
    public var status: Status
    /// The document's target key (`gateway:ID` / `group:NAME`), if it could be read.
    public var target: String?
    /// The document's version, if it could be read.
    public var version: UInt64?
    /// SHA-256 of the canonical document, if it could be read.
    public var contentHash: [UInt8]?
    /// The rejection or rollback code (`ConfigRejection.Reason.code`, or `broker-unconfirmed`).
    public var code: String?
    /// A precise reason (no configuration values, no key material).
    public var reason: String?
    /// The versions running now, per target key.
    public var running: [String: UInt64]
    /// When the outcome was decided (ms since the epoch).
    public var at: UInt64

    /// Creates a report.
    public init(gateway: String, status: Status, target: String?, version: UInt64?, contentHash: [UInt8]?,
                code: String?, reason: String?, running: [String: UInt64], at: UInt64) {
        self.gateway = gateway
        self.status = status
        self.target = target
        self.version = version
        self.contentHash = contentHash
        self.code = code
        self.reason = reason
        self.running = running
        self.at = at
    }

    /// The report as one JSON object (absent values omitted).
    public var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [("gateway", .string(gateway)), ("status", .string(status.rawValue))]
        if let target { members.append(("target", .string(target))) }
        if let version { members.append(("version", .number(Double(version)))) }
        if let contentHash { members.append(("hash", .string(contentHash.hexString))) }
        if let code { members.append(("code", .string(code))) }
        if let reason { members.append(("reason", .string(reason))) }
        members.append(("running", .object(running.sorted { $0.key < $1.key }.map { ($0.key, .number(Double($0.value))) })))
        members.append(("at", .number(Double(at))))
        return .object(members)
    }

    /// Parses a report (what `vitalgate fleet status` reads back).
    /// - Throws: ``ConfigRejection`` `.malformed` naming the field.
    public init(json: JSONValue) throws(ConfigRejection) {
        var r = try SchemaReader(json, path: "report")
        gateway = try r.string("gateway")
        guard let status = Status(rawValue: try r.string("status")) else {
            throw ConfigRejection(.malformed(field: r.field("status"), detail: "unknown status"))
        }
        self.status = status
        target = try r.optional("target").map { value throws(ConfigRejection) in
            guard let text = value.stringValue else { throw ConfigRejection(.malformed(field: "report.target", detail: "expected string")) }
            return text
        }
        version = r.optional("version")?.numberValue.flatMap { UInt64(exactly: $0) }
        contentHash = r.optional("hash")?.stringValue.flatMap { [UInt8](hex: $0) }
        code = r.optional("code")?.stringValue
        reason = r.optional("reason")?.stringValue
        var running: [String: UInt64] = [:]
        var v = try SchemaReader(try r.required("running"), path: r.field("running"))
        for (key, value) in v.entries() { running[key] = try v.unsigned(value, key) }
        try v.finish()
        self.running = running
        at = try r.unsigned("at")
        try r.finish()
    }
}
