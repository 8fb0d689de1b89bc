import Cryptography
import Sealing
import Telemetry
import Testing

@Suite("Commitment and canonical reading bytes")
struct CommitmentTests {
    /// The reading of docs/CANONICAL-READING.md's worked example.
    static let example = Reading(
        device: DeviceID("oxi-001")!, kind: .vitals, schemaID: "oxipatch-fw1", model: "OxiPatch", firmware: "1.4.2",
        seq: 42, deviceTime: 1_700_000_000_123, receivedAt: 1_700_000_000_999,
        measurements: [
            Measurement(channel: "spo2", value: .number(97), unit: "%", quality: 0.9),
            Measurement(channel: "pulse_rate", value: .noSignal, unit: "/min"),
            Measurement(channel: "ecg", value: .samples([1, -2, 256]), unit: "uV"),
            Measurement(channel: "posture", value: .text("sit\"s")),
            Measurement(channel: "fall", value: .flag(false)),
            Measurement(channel: "acceleration", value: .series([0.5, -0.00001, 1e16]), unit: "[g]"),
        ])

    static let exampleCanonical = #"{"device":"oxi-001","fw":"1.4.2","kind":"vitals","m":{"acceleration":{"u":"[g]","v":[0.5,-1e-05,1e+16]},"ecg":{"samples":"AQD+/wAB","u":"uV"},"fall":{"u":"","v":false},"posture":{"u":"","v":"sit\"s"},"pulse_rate":{"nosig":true,"u":"/min"},"spo2":{"q":0.9,"u":"%","v":97}},"model":"OxiPatch","schema":"oxipatch-fw1","seq":42,"t":1700000000123,"v":1}"#

    @Test("canonical bytes v1 match the documented example byte for byte")
    func canonicalExample() {
        #expect(String(decoding: Self.example.canonicalBytes, as: UTF8.self) == Self.exampleCanonical)
        var arrived = Self.example
        arrived.receivedAt = 5  // arrival time is not content
        #expect(arrived.canonicalBytes == Self.example.canonicalBytes)
    }

    @Test("canonical bytes are canonical JSON: parsing and re-serialising them gives the same bytes")
    func canonicalIsAFixedPointOfTheJSONWriter() throws {
        var readings = [Self.example]
        for seq in UInt32(0)..<50 {  // varied channel counts, values, escapes and sample lengths
            var measurements = [Measurement(channel: "heart_rate", value: .number(Double(seq) * 1.7 - 20), unit: "/min"),
                                Measurement(channel: "note", value: .text(String(repeating: "\u{1}\"é", count: Int(seq % 4))))]
            if seq % 3 == 0 { measurements.append(Measurement(channel: "ecg", value: .samples((0..<Int16(seq * 7)).map { $0 &* 301 }), unit: "uV")) }
            if seq % 5 == 0 { measurements.append(Measurement(channel: "q", value: .noSignal, quality: Double(seq) / 50)) }
            readings.append(Reading(device: DeviceID("dev-\(seq)")!, kind: seq % 3 == 0 ? .waveform : .vitals, schemaID: "s-\(seq)",
                                    model: "M\"odel", firmware: "1.\(seq)", seq: seq &* 99_991, deviceTime: -Int64(seq) * 7_777_777,
                                    receivedAt: 0, measurements: measurements))
        }
        for reading in readings {
            let bytes = reading.canonicalBytes
            let parsed = try JSONParser(maxBytes: 1 << 20, maxDepth: 8).parse(bytes)
            #expect(JSONWriter.canonicalBytes(parsed) == bytes)
            var appended: [UInt8] = [0x01]
            reading.writeCanonical(into: &appended)
            #expect(appended == [0x01] + bytes)
            #expect(try Reading(canonical: bytes, receivedAt: reading.receivedAt) == reading)
        }
    }

    @Test("commitment is SHA-256(salt ‖ canonical) (vector computed with Python hashlib)")
    func knownVector() throws {
        let salt = (0..<32).map { UInt8($0) }
        let commitment = try Commitment.compute(salt: salt, canonical: Array(Self.exampleCanonical.utf8))
        #expect(commitment.description == "d02661f8cf4691bb8f04352ccc19f079dcd24aeecc9e2d44b749c42a47738a70")
        let empty = try Commitment.compute(salt: [UInt8](repeating: 0, count: 32), canonical: [])
        #expect(empty.bytes.hexString == "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925")
    }

    @Test("make draws a fresh 32-byte salt; the commitment opens only with that salt and those bytes")
    func makeAndMatch() throws {
        let canonical = Self.example.canonicalBytes
        let (salt, commitment) = Commitment.make(canonical: canonical)
        let (salt2, commitment2) = Commitment.make(canonical: canonical)
        #expect(salt.count == 32)
        #expect(salt != salt2)
        #expect(commitment != commitment2, "same reading, different salts: unlinkable commitments")
        #expect(commitment.matches(salt: salt, canonical: canonical))
        #expect(!commitment.matches(salt: salt2, canonical: canonical))
        #expect(!commitment.matches(salt: salt.flipping(31), canonical: canonical))
        #expect(!commitment.matches(salt: salt, canonical: canonical.flipping(0)))
        #expect(!commitment.matches(salt: Array(salt.prefix(31)), canonical: canonical))
        #expect(try Commitment.compute(salt: salt, canonical: canonical) == commitment)
        #expect(commitment.bytes != SHA256.hash(canonical), "never the unsalted hash")
    }

    @Test("lengths are checked", arguments: [0, 16, 31, 33, 64])
    func lengths(count: Int) {
        let bytes = [UInt8](repeating: 7, count: count)
        #expect(throws: SealingError.self) { try Commitment(bytes: bytes) }
        #expect(throws: SealingError.self) { try Commitment.compute(salt: bytes, canonical: [1]) }
    }
}
