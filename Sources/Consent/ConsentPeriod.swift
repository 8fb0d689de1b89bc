/// A time interval in ms since the epoch, closed at both ends; an end that is `nil` is open.
/// FHIR R4's `Period`.
public struct ConsentPeriod: Hashable, Sendable {
    /// The first instant inside (`nil`: since always).
    public var start: Int64?
    /// The last instant inside (`nil`: for ever).
    public var end: Int64?

    /// Creates a period; an empty one (end before start) contains nothing.
    public init(start: Int64? = nil, end: Int64? = nil) {
        self.start = start
        self.end = end
    }

    /// The period that contains every instant.
    public static let always = ConsentPeriod()

    /// Whether `instant` lies inside.
    public func contains(_ instant: Int64) -> Bool {
        if let start, instant < start { return false }
        if let end, instant > end { return false }
        return true
    }
}
