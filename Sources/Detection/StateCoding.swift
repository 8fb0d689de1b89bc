/// A compact little-endian byte writer for detector state (see docs/DETECTION.md, "State format").
struct StateWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 4096) { bytes.reserveCapacity(capacity) }

    mutating func write<T: StateCodable>(_ value: T) { value.encode(to: &self) }

    mutating func writeFixed<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func writeRaw(_ raw: [UInt8]) {
        write(raw.count)
        bytes.append(contentsOf: raw)
    }
}

/// Reads what `StateWriter` wrote; every read is bounds-checked.
struct StateReader {
    private let bytes: [UInt8]
    private(set) var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { position == bytes.count }

    mutating func read<T: StateCodable>(_ type: T.Type = T.self) throws(DetectionStateError) -> T {
        try T(from: &self)
    }

    mutating func readFixed<T: FixedWidthInteger>(_ type: T.Type = T.self) throws(DetectionStateError) -> T {
        let size = MemoryLayout<T>.size
        guard position + size <= bytes.count else { throw DetectionStateError("truncated state") }
        var value: T = 0
        for k in 0..<size { value |= T(truncatingIfNeeded: bytes[position + k]) << (8 * k) }
        position += size
        return value
    }

    mutating func readCount(max: Int = 1 << 20) throws(DetectionStateError) -> Int {
        let n: Int = try read()
        guard n >= 0, n <= max, n <= bytes.count - position + 8 * max else {
            throw DetectionStateError("implausible element count")
        }
        return n
    }

    mutating func readRaw() throws(DetectionStateError) -> [UInt8] {
        let n = try readCount()
        guard position + n <= bytes.count else { throw DetectionStateError("truncated state") }
        defer { position += n }
        return Array(bytes[position..<position + n])
    }
}

/// Persisted detector state could not be restored (corrupt, truncated or another version).
public struct DetectionStateError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "detection state: \(reason)" }
}

/// A value that writes itself to and reads itself from the compact state format.
protocol StateCodable {
    func encode(to writer: inout StateWriter)
    init(from reader: inout StateReader) throws(DetectionStateError)
}

extension Int: StateCodable {
    func encode(to writer: inout StateWriter) { writer.writeFixed(Int64(self)) }
    init(from reader: inout StateReader) throws(DetectionStateError) {
        self = Int(try reader.readFixed(Int64.self))
    }
}

/// Fixed-width integers are written as they are, little-endian.
protocol FixedWidthStateCodable: FixedWidthInteger, StateCodable {}

extension FixedWidthStateCodable {
    func encode(to writer: inout StateWriter) { writer.writeFixed(self) }
    init(from reader: inout StateReader) throws(DetectionStateError) { self = try reader.readFixed() }
}

extension Int64: FixedWidthStateCodable {}
extension UInt64: FixedWidthStateCodable {}
extension UInt32: FixedWidthStateCodable {}
extension UInt8: FixedWidthStateCodable {}

extension Bool: StateCodable {
    func encode(to writer: inout StateWriter) { writer.writeFixed(UInt8(self ? 1 : 0)) }
    init(from reader: inout StateReader) throws(DetectionStateError) {
        self = try reader.readFixed(UInt8.self) != 0
    }
}

extension Float: StateCodable {
    func encode(to writer: inout StateWriter) { writer.writeFixed(bitPattern) }
    init(from reader: inout StateReader) throws(DetectionStateError) {
        self = Float(bitPattern: try reader.readFixed(UInt32.self))
    }
}

extension Double: StateCodable {
    func encode(to writer: inout StateWriter) { writer.writeFixed(bitPattern) }
    init(from reader: inout StateReader) throws(DetectionStateError) {
        self = Double(bitPattern: try reader.readFixed(UInt64.self))
    }
}

extension String: StateCodable {
    func encode(to writer: inout StateWriter) { writer.writeRaw(Array(utf8)) }
    init(from reader: inout StateReader) throws(DetectionStateError) {
        let raw = try reader.readRaw()
        guard let text = String(validating: raw, as: UTF8.self) else { throw DetectionStateError("invalid text") }
        self = text
    }
}

extension Array: StateCodable where Element: StateCodable {
    func encode(to writer: inout StateWriter) {
        writer.write(count)
        for element in self { writer.write(element) }
    }
    init(from reader: inout StateReader) throws(DetectionStateError) {
        let n = try reader.readCount()
        self = []
        reserveCapacity(n)
        for _ in 0..<n { append(try reader.read(Element.self)) }
    }
}

extension Optional: StateCodable where Wrapped: StateCodable {
    func encode(to writer: inout StateWriter) {
        switch self {
        case .none: writer.write(false)
        case .some(let value): writer.write(true); writer.write(value)
        }
    }
    init(from reader: inout StateReader) throws(DetectionStateError) {
        self = try reader.read(Bool.self) ? .some(try reader.read(Wrapped.self)) : .none
    }
}

/// A fixed-capacity ring saved as its capacity and its values, oldest first (`RingBuffer`,
/// `TimeRing`); two rings are equal when both are.
protocol SavedRing: StateCodable, Equatable {
    associatedtype Element: StateCodable & Equatable
    var capacity: Int { get }
    /// The values, oldest first.
    var values: [Element] { get }
    init(capacity: Int)
    mutating func append(_ value: Element)
}

extension SavedRing {
    func encode(to writer: inout StateWriter) {
        writer.write(capacity)
        writer.write(values)
    }

    init(from reader: inout StateReader) throws(DetectionStateError) {
        let capacity = try reader.readCount(max: 1 << 16)
        guard capacity > 0 else { throw DetectionStateError("empty ring capacity") }
        let values: [Element] = try reader.read()
        guard values.count <= capacity else { throw DetectionStateError("ring overfull") }
        self.init(capacity: capacity)
        for value in values { append(value) }
    }

    static func == (a: Self, b: Self) -> Bool { a.capacity == b.capacity && a.values == b.values }
}
