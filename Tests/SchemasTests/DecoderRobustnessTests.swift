import Schemas
import Telemetry
import Testing
import VitalGateTesting

/// Truncated and bit-flipped payloads must never crash the decoder: each yields a reading
/// or a quarantine verdict, nothing else.
@Suite struct DecoderRobustnessTests {
    static let samples: [(setup: String, topic: String, payload: String)] = [
        ("oxi1", "wban/v1/OXP-7F31A2/vitals", #"{"seq":123,"ts":1763884800123,"spo2":97,"pr":72,"pi":3.1,"batt":88}"#),
        ("oxi2", "wban/v1/OXP-7F31A2/vitals",
         #"{"seq":123,"t":"2025-11-23T08:00:00.123Z","SpO2":{"v":97,"q":0.98},"PR":{"v":72,"q":0.95},"PI":3.1,"battery":88}"#),
        ("cds", "wban/v1/CDS-812142/vitals", #"{"seq":88,"ts":1763884800000,"hr":71,"rr_ms":[845,850,838],"lead_off":false}"#),
        ("cds", "wban/v1/CDS-812142/waveform", #"{"seq":89,"ts0":1763884800000,"fs":4,"lead":"II","n":4,"uV":"AQABAAEAAQA="}"#),
        ("thd10", "wban/v1/THD-1CF67D/vitals", #"{"seq":5,"ts":1763884800000,"temp_f":98.6}"#),
        ("cuf", "wban/v1/CUF-C2DA3A/vitals", #"{"seq":17,"ts":1763884800000,"sys":118,"dia":76,"map":90,"pr":70,"status":"ok"}"#),
        ("rsp", "wban/v1/RSP-99A2B1/vitals",
         #"{"seq":401,"ts":1763884800000,"rr":16,"posture":"supine","fall":false,"acc":[0.01,-0.02,0.98]}"#),
        ("none", "wban/v1/OXP-7F31A2/pair", #"{"patient":"MRN-00012345","bed":"ICU-3","at":"2026-11-23T08:00:00Z"}"#),
        ("none", "wban/v1/OXP-7F31A2/info", #"{"model":"OxiPatch","fw":"2.0.3","serial":"OXP-7F31A2"}"#),
    ]

    @Test func everyTruncationIsHandled() {
        for sample in Self.samples {
            let bytes = Array(sample.payload.utf8)
            for cut in 0..<bytes.count {
                var decoder = Fixtures.decoder(setup: sample.setup)
                let outcome = decoder.decode(topic: sample.topic, payload: Array(bytes[..<cut]), receivedAt: Fixtures.now)
                // A strict prefix of a JSON object is never a complete document.
                #expect(Fixtures.reason(outcome) != nil, "prefix \(cut) of \(sample.topic) was accepted")
            }
        }
    }

    @Test func bitFlipsAreHandled() {
        var rng = SplitMix64(seed: 0x5EED)
        var outcomes = [String: Int]()
        for sample in Self.samples {
            let bytes = Array(sample.payload.utf8)
            for _ in 0..<2000 {
                var mutated = bytes
                for _ in 0..<Int(rng.next() % 3 + 1) {
                    let i = Int(rng.next() % UInt64(mutated.count))
                    mutated[i] ^= UInt8(1 << (rng.next() % 8))
                }
                var decoder = Fixtures.decoder(setup: sample.setup)
                switch decoder.decode(topic: sample.topic, payload: mutated, receivedAt: Fixtures.now) {
                case .reading: outcomes["reading", default: 0] += 1
                case .control: outcomes["control", default: 0] += 1
                case .quarantined(_, _, let verdict): outcomes[verdict.reason.rawValue, default: 0] += 1
                }
            }
        }
        // Most flips must be caught; the mix shows several distinct reasons.
        #expect(outcomes.keys.count >= 5, "\(outcomes)")
    }

    @Test func randomBytesAreHandled() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<5000 {
            let length = Int(rng.next() % 64)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var decoder = Fixtures.decoder(setup: "oxi1")
            let outcome = decoder.decode(topic: "wban/v1/OXP-7F31A2/vitals", payload: bytes, receivedAt: Fixtures.now)
            #expect(Fixtures.reason(outcome) != nil)
        }
    }
}

