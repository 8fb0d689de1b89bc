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
}
