import Foundation
import Sealing
import SQLite
import Telemetry
import Testing
@testable import Vault

/// Plaintext v3 (`readings.format` 3, issue 20 item 4): the header fields only in clear columns,
/// a compact body in the ciphertext, the canonical bytes (and so the commitments) unchanged.
@Suite struct CompactRowTests {
    /// Every value kind, a quality, a channel outside the label table, and numbers that need
    /// each encoding: integers, short decimals, raw bits (-0, 1e16, 0.1 + 0.2, a long fraction).
    static let varied: Reading = Reading(
        device: DeviceID("oxi-001")!, kind: .vitals, schemaID: "oxipatch-fw1", model: "OxiPatch", firmware: "1.4.2",
        seq: 42, deviceTime: 1_700_000_000_123, receivedAt: 5,
        measurements: [
            Measurement(channel: "spo2", value: .number(97), unit: "%", quality: 0.9),
            Measurement(channel: "pulse_rate", value: .noSignal, unit: "/min"),
            Measurement(channel: "ecg", value: .samples([1, -2, 256, .min, .max]), unit: "uV"),
            Measurement(channel: "posture", value: .text("sit\"s é"), unit: ""),
            Measurement(channel: "fall", value: .flag(false), unit: ""),
            Measurement(channel: "lead_off", value: .flag(true), unit: ""),
            Measurement(channel: "acceleration", value: .series([0.5, -0.00001, 1e16, -0.0, 0.1 + 0.2]), unit: "[g]"),
            Measurement(channel: "body_temperature", value: .number(37.27777777777778), unit: "Cel"),
            Measurement(channel: "Zähler", value: .number(-123456.789), unit: "{count}", quality: 1),
            Measurement(channel: "spo2x", value: .series([]), unit: "%"),
            Measurement(channel: "big", value: .number(9_007_199_254_740_994), unit: ""),
            Measurement(channel: "tiny", value: .number(.leastNonzeroMagnitude), unit: ""),
        ])

    static func decode(_ body: [UInt8], like reading: Reading) throws -> Reading {
        try CompactReading.reading(body: body[...], device: reading.device, kind: reading.kind, schemaID: reading.schemaID,
                                   model: reading.model, seq: reading.seq, deviceTime: reading.deviceTime,
                                   receivedAt: reading.receivedAt)
    }

    @Test func theBodyRoundTripsEveryValueBitForBitAndTheCanonicalBytesWithIt() throws {
        var body: [UInt8] = []
        #expect(CompactReading.writeBody(Self.varied, into: &body))
        let decoded = try Self.decode(body, like: Self.varied)
        #expect(decoded.canonicalBytes == Self.varied.canonicalBytes)
        #expect(decoded == Self.varied)
        for (a, b) in zip(decoded.measurements, Self.varied.measurements) {
            if case .series(let xs) = a.value, case .series(let ys) = b.value {
                #expect(xs.map(\.bitPattern) == ys.map(\.bitPattern), "\(a.channel)")
            }
        }
        // The documented example: header fields are not in the body; labels from the table.
        #expect(body.count < Self.varied.canonicalBytes.count / 2)
    }

    @Test func numbersTakeTheirShortestExactForm() {
        func encoded(_ x: Double) -> [UInt8] {
            var out: [UInt8] = []
            CompactReading.writeNumber(x, into: &out)
            return out
        }
        #expect(encoded(97) == [0, 194, 1])       // scale 0, zigzag(97) = 194
        #expect(encoded(2.3) == [1, 46])          // 23 / 10
        #expect(encoded(-3) == [0, 5])
        #expect(encoded(0.97) == [2, 194, 1])     // 97 / 100
        #expect(encoded(-0.0).first == 0xFF)      // raw bits: -0 has no decimal form
        #expect(encoded(37.27777777777778).count == 9)
    }

    /// The example of docs/CANONICAL-READING.md, byte for byte.
    @Test func theDocumentedExampleBody() throws {
        let reading = Reading(
            device: DeviceID("OXP-ACB451")!, kind: .vitals, schemaID: "oxipatch-fw2", model: "OxiPatch", firmware: "2.0.3",
            seq: 49714, deviceTime: 1_763_884_800_006, receivedAt: 0,
            measurements: [
                Measurement(channel: "battery", value: .number(83), unit: "%"),
                Measurement(channel: "perfusion_index", value: .number(5.1), unit: "%"),
                Measurement(channel: "pulse_rate", value: .number(86), unit: "/min", quality: 0.95),
                Measurement(channel: "spo2", value: .number(97), unit: "%", quality: 0.97),
            ])
        var body: [UInt8] = []
        #expect(CompactReading.writeBody(reading, into: &body))
        #expect(body == [0x05, 0x32, 0x2E, 0x30, 0x2E, 0x33, 0x04,
                         0x04, 0x01, 0x00, 0xA6, 0x01,
                         0x03, 0x01, 0x01, 0x66,
                         0x02, 0x09, 0x02, 0xBE, 0x01, 0x00, 0xAC, 0x01,
                         0x01, 0x09, 0x02, 0xC2, 0x01, 0x00, 0xC2, 0x01])
        #expect(reading.canonicalBytes.count == 275)
        #expect(try Self.decode(body, like: reading).canonicalBytes == reading.canonicalBytes)
    }

    @Test func malformedBodiesAreRejected() {
        var body: [UInt8] = []
        _ = CompactReading.writeBody(Sample.reading(seq: 1), into: &body)
        let cases: [[UInt8]] = [
            body + [0],                              // trailing byte
            Array(body.dropLast()),                  // truncated
            [0x00, 0x01, 0x7F, 0x01, 0x00, 0x00],    // label beyond the table
            [0x00, 0x01, 0x01, 0x10],                // unknown tag bit
            [0x00, 0x01, 0x01, 0x01, 0xFF, 0, 0, 0, 0, 0, 0, 0xF0, 0x7F],  // raw infinity
            [0x80, 0x00, 0x00],                      // non-minimal varint
            [0x01, 0xFF, 0x00],                      // firmware not UTF-8
        ]
        for bytes in cases {
            #expect(throws: CompactDecodingError.self, "\(bytes)") { _ = try Self.decode(bytes, like: Sample.reading(seq: 1)) }
        }
    }

    /// Every proper prefix of a body is rejected, and no changed byte makes the decoder trap
    /// (it may decode to another reading: the ciphertext's tag is what rejects a changed body).
    @Test func truncatedAndChangedBodiesNeverTrap() throws {
        var body: [UInt8] = []
        #expect(CompactReading.writeBody(Self.varied, into: &body))
        for end in 0..<body.count {
            #expect(throws: CompactDecodingError.self, "prefix \(end)") { _ = try Self.decode(Array(body[..<end]), like: Self.varied) }
        }
        for i in body.indices {
            for bit in 0..<8 {
                var changed = body
                changed[i] ^= 1 << bit
                if let reading = try? Self.decode(changed, like: Self.varied) { _ = reading.canonicalBytes }
            }
        }
    }

    /// Rows written the old way (plaintext v2, format NULL) and the new way, in one vault:
    /// exported, delivered (the outbox), proven and audited alike, after a reopen.
    @Test func oldAndCompactRowsReadExportProveAndAuditAlike() throws {
        let scratch = try ScratchVault("compact")
        defer { scratch.remove() }
        var expected: [Reading] = []
        do {
            let vault = try scratch.openSealing(batchesOf: 4)
            vault.storesCompactRows = false  // the rows of a vault written before format 3
            try Sample.store(vault, seqs: 1...6)
            vault.storesCompactRows = true
            _ = try vault.store([IncomingMessage(topic: "t", payload: [], receivedAt: 9, outcome: .reading(Self.varied, patient: "MRN-1"))])
            try Sample.store(vault, seqs: 7...12)
            try vault.sealAll(now: 1)
            expected = (1...6).map { Sample.reading(seq: $0) } + [Self.varied] + (7...12).map { Sample.reading(seq: $0) }
        }
        let db = try Connection(path: scratch.path)
        let formats = try db.query("SELECT format FROM readings ORDER BY id").map { $0[0].integerValue }
        #expect(formats == Array(repeating: nil, count: 6) + Array(repeating: 3, count: 7))
        let digestBytes = try db.query("SELECT length(digest) FROM readings ORDER BY id").map { $0[0].integerValue }
        #expect(digestBytes == Array(repeating: 32, count: 6) + Array(repeating: 16, count: 7))

        let vault = try scratch.open()
        var exported: [Reading] = []
        try vault.export(ExportFilter(), onError: { id, error in Issue.record("row \(id): \(error)") }) { exported.append($0.reading) }
        #expect(exported.map(\.canonicalBytes) == expected.map(\.canonicalBytes))
        var byDevice = 0
        try vault.export(ExportFilter(device: "oxi-001"), onError: { _, _ in }) { _ in byDevice += 1 }
        #expect(byDevice == 1)

        let (entries, _) = try vault.outbox(after: 0, limit: 100, onCorrupt: { id, error in Issue.record("row \(id): \(error)") })
        let delivered = entries.compactMap { entry -> [UInt8]? in
            if case .reading(let reading) = entry.content { return reading.canonicalBytes }
            return nil
        }
        #expect(delivered == expected.map(\.canonicalBytes))

        let trust = try vault.trustAnchors(gatewayID: "gw")
        for id in Int64(1)...13 {
            let bundle = try vault.proofBundle(readingID: id, gatewayID: "gw")
            #expect(bundle.reading.canonical == expected[Int(id) - 1].canonicalBytes, "reading \(id)")
            let report = try BundleVerifier.verify(json: bundle.json, trust: trust)
            #expect(report.passed, "reading \(id): \(report.text)")
        }
        let audit = try vault.audit(gatewayID: "gw")
        #expect(audit.passed, "\(audit.findings)")
        #expect(audit.readingsChecked == 13)
    }

    /// A copy of a compact row is still a duplicate, a changed copy still a conflict.
    @Test func duplicatesAndConflictsAreFoundAgainstCompactRows() throws {
        let scratch = try ScratchVault("compact")
        defer { scratch.remove() }
        let vault = try scratch.open()
        let first = try vault.store([Sample.incoming(1), Sample.incoming(2)])
        #expect(first.stored == 2)
        let again = try vault.store([Sample.incoming(1)])
        #expect(again.duplicates == 1 && again.stored == 0)
        // After a reopen too (no high-water marks: the lookup runs and compares the 16 bytes).
        let reopened = try scratch.open()
        #expect(try reopened.store([Sample.incoming(2)]).duplicates == 1)
        let changed = IncomingMessage(topic: "t", payload: [], receivedAt: 1,
                                      outcome: .reading(Sample.reading(seq: 2, spo2: 88), patient: "MRN-1"))
        #expect(try vault.store([changed]).conflicts == 1)
    }

    /// A reading whose channel names repeat has no canonical JSON a decoder accepts; it is
    /// stored in plaintext v2, as before, and not in the compact body.
    @Test func aRepeatedChannelNameIsStoredInPlaintextV2() throws {
        let scratch = try ScratchVault("compact")
        defer { scratch.remove() }
        var reading = Sample.reading(seq: 1)
        reading.measurements.append(reading.measurements[0])
        var body: [UInt8] = [9]
        #expect(!CompactReading.writeBody(reading, into: &body) && body == [9])
        let vault = try scratch.open()
        _ = try vault.store([IncomingMessage(topic: "t", payload: [], receivedAt: 1, outcome: .reading(reading, patient: nil))])
        let format = try Connection(path: scratch.path).query("SELECT format FROM readings").first?.first
        #expect(format?.integerValue == nil)
    }

    /// The size the issue sets (at most 300 bytes on disk per stored vitals reading): the
    /// readings table and its identity index, measured with SQLite's `dbstat`, for 5,000
    /// OxiPatch readings of 50 devices (every channel the shipped schema has, qualities on two)
    /// stored 100 to a transaction and sealed, as the agent stores them.
    @Test func aStoredVitalsReadingTakesAtMost300BytesOnDisk() throws {
        let scratch = try ScratchVault("compact-size")
        defer { scratch.remove() }
        let vault = try scratch.openSealing(batchesOf: 256)
        let devices = (0..<50).map { DeviceID(String(format: "OXP-%06X", 0xA45C00 + $0))! }
        var random = SplitMix64(seed: 7)
        let count = 5_000
        for start in stride(from: 0, to: count, by: 100) {
            let messages = (start..<start + 100).map { i -> IncomingMessage in
                let device = devices[i % devices.count]
                let t = 1_763_884_800_000 + Int64(i / devices.count) * 1000 + Int64(i % devices.count)
                let reading = Reading(
                    device: device, kind: .vitals, schemaID: "oxipatch-fw2", model: "OxiPatch", firmware: "2.0.3",
                    seq: UInt32(40_000 + i / devices.count), deviceTime: t, receivedAt: t + 800,
                    measurements: [
                        Measurement(channel: "spo2", value: .number(Double(90 + random.next() % 10)), unit: "%",
                                    quality: Double(90 + random.next() % 10) / 100),
                        Measurement(channel: "pulse_rate", value: .number(Double(60 + random.next() % 50)), unit: "/min",
                                    quality: Double(90 + random.next() % 10) / 100),
                        Measurement(channel: "perfusion_index", value: .number(Double(10 + random.next() % 90) / 10), unit: "%"),
                        Measurement(channel: "battery", value: .number(Double(random.next() % 101)), unit: "%"),
                    ])
                return IncomingMessage(topic: "t", payload: [], receivedAt: t + 800,
                                       outcome: .reading(reading, patient: "MRN-\(i % devices.count)"))
            }
            _ = try vault.store(messages)
        }
        try vault.sealAll(now: 1)
        try vault.walCheckpoint()
        let db = try Connection(path: scratch.path)
        let bytes = try db.query("""
            SELECT sum(pgsize) FROM dbstat WHERE name IN ('readings', 'readings_identity')
            """).first?.first?.integerValue ?? 0
        let perReading = Double(bytes) / Double(count)
        #expect(perReading <= 300, "\(perReading) bytes per stored vitals reading")
        #expect(perReading > 100, "\(perReading): the measurement must see the rows")
    }
}
