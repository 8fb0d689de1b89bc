import Foundation
import Schemas
import Telemetry
import Testing

struct CorpusCase: Sendable, CustomTestStringConvertible {
    var name: String
    var topic: String
    var setup: String
    var payload: [UInt8]
    var expect: String
    var testDescription: String { name }
}

private func loadCorpus() throws -> [CorpusCase] {
    let url = Fixtures.repositoryRoot.appendingPathComponent("Tests/SchemasTests/Corpus/quarantine-corpus.json")
    let json = try JSONParser(maxBytes: 1 << 22, maxDepth: 8).parse(try Data(contentsOf: url))
    return (json["cases"]?.arrayValue ?? []).map { entry in
        let payload: [UInt8]
        if let hex = entry["payload_hex"]?.stringValue {
            var bytes: [UInt8] = []
            var index = hex.startIndex
            while index < hex.endIndex {
                let next = hex.index(index, offsetBy: 2)
                bytes.append(UInt8(hex[index..<next], radix: 16)!)
                index = next
            }
            payload = bytes
        } else {
            payload = Array((entry["payload"]?.stringValue ?? "").utf8)
        }
        return CorpusCase(name: entry["name"]!.stringValue!, topic: entry["topic"]!.stringValue!,
                          setup: entry["setup"]!.stringValue!, payload: payload, expect: entry["expect"]!.stringValue!)
    }
}

@Suite struct QuarantineCorpusTests {
    @Test(arguments: try loadCorpus())
    func caseIsQuarantinedWithItsReason(_ entry: CorpusCase) {
        var decoder = Fixtures.decoder(setup: entry.setup)
        let outcome = decoder.decode(topic: entry.topic, payload: entry.payload, receivedAt: Fixtures.now)
        #expect(Fixtures.reason(outcome)?.rawValue == entry.expect, "\(entry.name): \(outcome)")
    }

    @Test func corpusCoversEveryQuarantineReason() throws {
        let covered = Set(try loadCorpus().map(\.expect))
        // `poison` is given by the agent after a message killed it, never by the decoder
        // (IngestTests cover it).
        for reason in QuarantineReason.allCases where reason != .poison {
            #expect(covered.contains(reason.rawValue), "no corpus case for \(reason.rawValue)")
        }
    }

    @Test func quarantineDetailsNeverEchoPayloadValues() throws {
        for entry in try loadCorpus() {
            var decoder = Fixtures.decoder(setup: entry.setup)
            let outcome = decoder.decode(topic: entry.topic, payload: entry.payload, receivedAt: Fixtures.now)
            guard case .quarantined(_, _, let verdict) = outcome else {
                Issue.record("\(entry.name) was not quarantined: \(outcome)")
                continue
            }
            #expect(!verdict.detail.contains("MRN"))
            #expect(!verdict.detail.contains("1763884800123"))
            #expect(verdict.detail.utf8.count < 120)
        }
    }
}
