public import Telemetry

/// Who a configuration document is addressed to.
public enum ConfigTarget: Sendable, Equatable {
    /// One gateway, by its id.
    case gateway(String)
    /// Every gateway in a named group.
    case group(String)

    /// A stable key naming the target, `gateway:ID` or `group:NAME` (versions are tracked per key).
    public var key: String {
        switch self {
        case .gateway(let id): "gateway:\(id)"
        case .group(let name): "group:\(name)"
        }
    }

    /// Whether a gateway with `gatewayID` in `groups` is addressed.
    public func matches(gatewayID: String, groups: Set<String>) -> Bool {
        switch self {
        case .gateway(let id): id == gatewayID
        case .group(let name): groups.contains(name)
        }
    }

    /// Reads `{"gateway": id}` or `{"group": name}` at `path`.
    /// - Throws: ``ConfigRejection`` `.malformed` naming the field.
    public init(json: JSONValue, path: String) throws(ConfigRejection) {
        var t = try SchemaReader(json, path: path)
        switch t.keys {
        case ["gateway"]: self = .gateway(try t.string("gateway"))
        case ["group"]: self = .group(try t.string("group"))
        default: throw ConfigRejection(.malformed(field: path, detail: "expected exactly one of gateway or group"))
        }
        try t.finish()
    }

    /// The target as a JSON object.
    public var json: JSONValue {
        switch self {
        case .gateway(let id): .object([("gateway", .string(id))])
        case .group(let name): .object([("group", .string(name))])
        }
    }
}
