/// Who a configuration document is addressed to.
public enum ConfigTarget: Sendable, Equatable {
    /// One gateway, by its id.
    case gateway(String)
    /// Every gateway in a named group.
    case group(String)

    /// Whether a gateway with `gatewayID` in `groups` is addressed.
    public func matches(gatewayID: String, groups: Set<String>) -> Bool {
        switch self {
        case .gateway(let id): id == gatewayID
        case .group(let name): groups.contains(name)
        }
    }
}
