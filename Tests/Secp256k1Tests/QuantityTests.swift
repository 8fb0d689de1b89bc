import EVMLightClient
import Testing

@Suite struct QuantityTests {
    @Test func minimalBigEndianForm() throws {
        #expect(Quantity(0).bigEndianBytes == [])
        #expect(Quantity(1).bigEndianBytes == [1])
        #expect(Quantity(0x0102_0304).bigEndianBytes == [1, 2, 3, 4])
        #expect(try Quantity(bigEndian: [0, 0, 5]) == 5)
        #expect(try Quantity(bigEndian: [UInt8](repeating: 0, count: 40)) == .zero)
        let wide = try Quantity(bigEndian: [UInt8](repeating: 0xFF, count: 32))
        #expect(wide.uint64Value == nil)
        #expect(Quantity(UInt64.max).uint64Value == UInt64.max)
        #expect(throws: LightClientError.self) { try Quantity(bigEndian: [1] + [UInt8](repeating: 0, count: 32)) }
    }

    @Test func orderingAndText() throws {
        let big = try Quantity(bigEndian: [1] + [UInt8](repeating: 0, count: 9))  // 2^72
        #expect(Quantity(UInt64.max) < big)
        #expect(Quantity(255) < Quantity(256))
        #expect(!(Quantity(7) < Quantity(7)))
        #expect(big.description == "0x1000000000000000000")
        #expect(Quantity.zero.description == "0x0")
        #expect(Quantity(hexQuantity: "0x1000000000000000000") == big)
        #expect(Quantity(hexQuantity: "0x0") == .zero)
        #expect(Quantity(hexQuantity: "0xabc") == Quantity(0xABC))
        for bad in ["", "0x", "0x01", "12", "0xg1", "0x" + String(repeating: "f", count: 65)] {
            #expect(Quantity(hexQuantity: bad) == nil, "\(bad)")
        }
    }
}
