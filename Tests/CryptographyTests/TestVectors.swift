import Telemetry
import Testing

/// A known-answer vector, shown in test results by its name.
protocol NamedVector: Sendable, CustomTestStringConvertible {
    var name: String { get }
}

extension NamedVector {
    var testDescription: String { name }
}

/// The bytes of a hex constant of a test vector.
func bytes(_ hex: String) -> [UInt8] {
    [UInt8](hex: hex)!
}
