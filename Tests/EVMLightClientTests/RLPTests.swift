import EVMLightClient
import Foundation
import Telemetry
import Testing

/// ethereum/tests RLPTests: rlptest.json (encode "in", compare with "out"), invalidRLPTest.json
/// (every "out" must be rejected) and RandomRLPTests (decode, then re-encode to the same bytes).
@Suite struct RLPTests {
    static let valid = Vectors.objectOrEmpty("RLPTests/rlptest.json")
    static let invalid = Vectors.objectOrEmpty("RLPTests/invalidRLPTest.json")
    static let random = Vectors.objectOrEmpty("RLPTests/RandomRLPTests/example.json")

    /// Converts a vector's "in" value: text, integer, "#decimal" big integer or nested list.
    static func item(_ value: JSON) throws -> RLPItem {
        switch value {
        case .array(let list):
            return .list(try list.map(item))
        case .string(let text) where text.hasPrefix("#"):
            return .bytes(bigEndian(decimal: text.dropFirst()))
        case .string(let text):
            return .bytes(Array(text.utf8))
        case .number(let text):
            guard let value = UInt64(text) else { throw VectorError("not a UInt64: \(text)") }
            return .uint(value)
        default:
            throw VectorError("unsupported input \(value)")
        }
    }

    static func out(_ table: [String: JSON], _ name: String) throws -> [UInt8] {
        guard let out = table[name]?["out"]?.string, let bytes = Hex.decode(out) else {
            throw VectorError("\(name): missing or bad out")
        }
        return bytes
    }

    @Test func vectorFilesLoaded() {
        #expect(Self.valid.count == 28)
        #expect(Self.invalid.count == 26)
        #expect(Self.random.count == 1)
    }

    @Test(arguments: valid.keys.sorted())
    func encodesValidVector(name: String) throws {
        let input = try Self.item(try #require(Self.valid[name]?["in"]))
        let expected = try Self.out(Self.valid, name)
        #expect(RLP.encode(input) == expected)
        #expect(RLP.encodedLength(input) == expected.count)
        // Strict decoding accepts the canonical form and returns the same structure.
        #expect(try RLP.decode(expected) == input)
    }

    @Test(arguments: invalid.keys.sorted())
    func rejectsInvalidVector(name: String) throws {
        let bytes = try Self.out(Self.invalid, name)
        #expect(throws: RLPError.self) { try RLP.decode(bytes) }
    }

    @Test(arguments: random.keys.sorted())
    func randomVectorRoundTrips(name: String) throws {
        let bytes = try Self.out(Self.random, name)
        let item = try RLP.decode(bytes)
        #expect(RLP.encode(item) == bytes)
    }

    /// Byte-by-byte feeding: every proper prefix of a valid encoding is truncated, and any
    /// extra byte is trailing.
    @Test(arguments: valid.keys.sorted())
    func prefixesAndSuffixesOfValidVectorsAreRejected(name: String) throws {
        let bytes = try Self.out(Self.valid, name)
        for end in 0..<bytes.count {
            #expect(throws: RLPError.self) { try RLP.decode(bytes[..<end]) }
        }
        do {
            _ = try RLP.decode(bytes + [0x00])
            Issue.record("trailing byte accepted")
        } catch {
            #expect(error.code == .trailingBytes)
            #expect(error.offset == bytes.count)
        }
    }
}

@Suite struct RLPStrictnessTests {
    func code(_ hexText: String, maxDepth: Int = RLP.defaultMaxDepth) -> RLPError.Code? {
        do {
            _ = try RLP.decode(hex(hexText), maxDepth: maxDepth)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func specificErrorCodes() {
        #expect(code("") == .truncated)
        #expect(code("8100") == .nonCanonicalSingleByte)
        #expect(code("817f") == .nonCanonicalSingleByte)
        #expect(code("8180") == nil)
        #expect(code("b800") == .leadingZeroInLength)
        #expect(code("b801ff") == .nonCanonicalLongForm)
        #expect(code("f803112233") == .nonCanonicalLongForm)
        #expect(code("bf0f000000000000021111") == .lengthOverflow)
        #expect(code("c5010203") == .truncated)
        #expect(code("8001") == .trailingBytes)
        // A child item may not run past the end of its list.
        #expect(code("c28300") == .truncated)
    }

    @Test func errorReportsOffset() throws {
        do {
            _ = try RLP.decode(hex("c3c28100"))
            Issue.record("accepted")
        } catch {
            #expect(error.code == .nonCanonicalSingleByte)
            #expect(error.offset == 2)
            #expect(error.description.contains("at byte 2"))
        }
    }

    @Test func depthLimit() throws {
        // [[[]]] has depth 3.
        #expect(code("c2c1c0", maxDepth: 3) == nil)
        #expect(code("c2c1c0", maxDepth: 2) == .depthLimitExceeded)
        var deep = RLPItem.list([])
        for _ in 0..<100 { deep = .list([deep]) }
        #expect(throws: RLPError.self) { try RLP.decode(RLP.encode(deep)) }
        #expect(try RLP.decode(RLP.encode(deep), maxDepth: 101) == deep)
    }

    @Test func integers() throws {
        #expect(RLP.encode(0) == [0x80])
        #expect(RLP.encode(127) == [0x7F])
        #expect(RLP.encode(128) == [0x81, 0x80])
        #expect(RLP.encode(UInt64.max) == [0x88] + [UInt8](repeating: 0xFF, count: 8))
        #expect(RLP.bigEndianBytes(0x0102) == [1, 2])
        #expect(try RLPItem.bytes([1, 2]).asUInt64() == 0x0102)
        #expect(try RLPItem.empty.asUInt64() == 0)
        #expect(RLPItem.bigEndianInteger([0, 0, 5]) == .bytes([5]))
        #expect(throws: RLPError.self) { try RLPItem.bytes([0, 1]).asUInt64() }
        #expect(throws: RLPError.self) { try RLPItem.bytes([0]).asUInt64() }
        #expect(throws: RLPError.self) { try RLPItem.bytes([UInt8](repeating: 1, count: 9)).asUInt64() }
        #expect(throws: RLPError.self) { try RLPItem.list([]).asUInt64() }
        #expect(try RLPItem.bytes([UInt8](repeating: 1, count: 32)).asBigEndianInteger().count == 32)
        #expect(throws: RLPError.self) { try RLPItem.bytes([UInt8](repeating: 1, count: 33)).asBigEndianInteger() }
    }

    @Test func longPayloadsRoundTrip() throws {
        for count in [55, 56, 255, 256, 65_536] {
            let item = RLPItem.bytes([UInt8](repeating: 0xAB, count: count))
            #expect(try RLP.decode(RLP.encode(item)) == item)
            let list = RLPItem.list(Array(repeating: .bytes([1]), count: count))
            #expect(try RLP.decode(RLP.encode(list)) == list)
        }
    }
}
