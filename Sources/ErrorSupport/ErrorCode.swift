/// A stable, named code of one error type, `Domain`.
///
/// A ``CodedError`` gets `Code = ErrorCode<Self>`; another error type declares the typealias
/// itself. The codes are computed static members of a constrained extension (generic types
/// cannot hold static stored properties):
///
/// ```swift
/// extension ErrorCode<VaultError> {
///     /// The patient's data key was erased.
///     public static var erased: Self { Self("erased") }
/// }
/// ```
///
/// Codes of different error types are different types. The set is extensible: switch with a
/// `default`. Only this package's modules create codes, unless `Domain` is ``OpenErrorCodes``.
public struct ErrorCode<Domain>: Hashable, Sendable, CustomStringConvertible {
    /// The stable code name.
    package let name: String

    /// Creates the code called `name`, for a static member of the domain's extension.
    package init(_ name: String) {
        self.name = name
    }

    /// The code name, as descriptions print it.
    public var description: String { name }
}

/// Marks an error type whose codes are `RawRepresentable`: anyone may make one from its name
/// with `Code(rawValue:)` and read it back as `rawValue`.
public protocol OpenErrorCodes {}

extension ErrorCode: RawRepresentable where Domain: OpenErrorCodes {
    /// The stable code name.
    public var rawValue: String { name }

    /// Creates a code from its name; prefer the named static members.
    public init(rawValue: String) {
        self.init(rawValue)
    }
}
