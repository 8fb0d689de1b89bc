import EVMLightClient
import Telemetry

/// Decodes hex test constants; a typo in a constant is a test bug, so it traps.
func hex(_ text: String) -> [UInt8] {
    guard let bytes = Hex.decode(text) else { fatalError("bad hex constant in test: \(text.prefix(16))…") }
    return bytes
}

/// `a - b` for 32-byte big-endian unsigned integers with `a >= b`.
func subtract(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
    precondition(a.count == 32 && b.count == 32)
    var out = [UInt8](repeating: 0, count: 32)
    var borrow = 0
    for index in stride(from: 31, through: 0, by: -1) {
        var digit = Int(a[index]) - Int(b[index]) - borrow
        borrow = digit < 0 ? 1 : 0
        if digit < 0 { digit += 256 }
        out[index] = UInt8(digit)
    }
    precondition(borrow == 0, "a < b")
    return out
}

/// `a + 1` for a 32-byte big-endian unsigned integer below 2^256 - 1.
func increment(_ a: [UInt8]) -> [UInt8] {
    var out = a
    for index in stride(from: 31, through: 0, by: -1) {
        out[index] &+= 1
        if out[index] != 0 { break }
    }
    return out
}
