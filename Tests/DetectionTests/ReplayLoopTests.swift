import Testing
import Telemetry
@testable import Detection

/// The replay loop end to end on a slice of the development set: recorded lines -> decoder ->
/// engine -> alert lines. The product injects the schema decoder; this target may not depend on
/// it, so the test uses a minimal decoder for the two firmware families in the slice.
@Suite struct ReplayLoopTests {
    /// Decodes OxiPatch fw 2.x and CardioStrip vitals plus info/pair, as the schema decoder does.
    struct SliceDecoder {
        var patient: [DeviceID: String] = [:]

        mutating func decode(topic: String, payload: [UInt8], receivedAt: Int64) -> DecodeOutcome {
            guard let parsed = DeviceTopic(topic), let json = try? JSONParser().parse(payload) else {
                return .quarantined(device: nil, kind: nil, QuarantineVerdict(.badTopic))
            }
            let device = parsed.device
            switch parsed.kind {
            case .info:
                return .control(device, .info(model: json["model"]?.stringValue ?? "", firmware: json["fw"]?.stringValue ?? "",
                                              serial: nil))
            case .pair:
                patient[device] = json["patient"]?.stringValue
                return .control(device, .pair(patient: json["patient"]?.stringValue, bed: nil, at: nil))
            default:
                break
            }
            let seq = UInt32(json["seq"]?.numberValue ?? 0)
            var m: [Telemetry.Measurement] = []
            var time = Int64(json["ts"]?.numberValue ?? 0)
            if device.rawValue.hasPrefix("CDS") {
                let off = json["lead_off"]?.boolValue ?? false
                m.append(.init(channel: Channel.heartRate, value: off ? .noSignal : .number(json["hr"]?.numberValue ?? 0)))
                m.append(.init(channel: Channel.rrIntervals,
                               value: off ? .noSignal : .series(json["rr_ms"]?.arrayValue?.compactMap(\.numberValue) ?? [])))
                m.append(.init(channel: Channel.leadOff, value: .flag(off)))
            } else {
                time = receivedAt - 80   // ISO time; the slice's clocks are synced
                for (field, channel) in [("SpO2", Channel.spo2), ("PR", Channel.pulseRate)] {
                    let v = json[field]?["v"]?.numberValue
                    m.append(.init(channel: channel, value: v.map { .number($0) } ?? .noSignal,
                                   quality: json[field]?["q"]?.numberValue))
                }
            }
            let reading = Reading(device: device, kind: .vitals, schemaID: "slice", model: "", firmware: "", seq: seq,
                                  deviceTime: time, receivedAt: receivedAt, measurements: m)
            return .reading(reading, patient: patient[device])
        }
    }

    @Test func replayOfADevSliceRaisesTheLabelledDropoutInTime() {
        var loop = ReplayLoop(engine: DetectionEngine())
        var decoder = SliceDecoder()
        var lines: [String] = []
        var count = 0
        for line in DevSlice.lines.split(separator: "\n") {
            count += 1
            _ = loop.process(line: Array(line.utf8)[...], decode: { decoder.decode(topic: $0, payload: $1, receivedAt: $2) },
                             emit: { lines.append($0.jsonLine) })
        }
        #expect(count == 424 && loop.skippedLines == 0)
        let alerts = lines.compactMap(Alert.init(jsonLine:))
        #expect(alerts.count == lines.count)
        #expect(!alerts.isEmpty)
        #expect(alerts.allSatisfy { $0.t >= DevSlice.dropoutStart })
        let first = alerts.first { $0.device?.rawValue == DevSlice.device }
        #expect(first?.kind == "lead_off")
        #expect(first.map { $0.t - DevSlice.dropoutStart <= 60_000 } == true)
        #expect(first?.patient != nil)
    }

    @Test func unreadableLinesAreSkippedNotFatal() {
        var loop = ReplayLoop(engine: DetectionEngine())
        let t = loop.process(line: Array("not json".utf8)[...], decode: { _, _, _ in
            .quarantined(device: nil, kind: nil, QuarantineVerdict(.badTopic))
        }, emit: { _ in })
        #expect(t == nil && loop.skippedLines == 1)
    }
}

@Suite struct AlertTests {
    @Test func jsonLineFollowsTheCLIContract() throws {
        let alert = Alert(t: 1_763_891_234_567, patient: "MRN-12345678", device: DeviceID("OXP-1A2B3C"), category: .fault,
                          kind: "probe_off", score: 0.9312345, evidenceStart: 1_763_891_230_000, evidenceEnd: 1_763_891_234_567)
        let json = try JSONParser().parse(alert.jsonLine)
        #expect(json["t"]?.numberValue == 1_763_891_234_567)
        #expect(json["patient"]?.stringValue == "MRN-12345678")
        #expect(json["device"]?.stringValue == "OXP-1A2B3C")
        #expect(json["category"]?.stringValue == "fault")
        #expect(json["score"]?.numberValue == 0.931)
        #expect(!alert.jsonLine.contains("\n"))
        var rounded = alert
        rounded.score = 0.931
        #expect(Alert(jsonLine: alert.jsonLine) == rounded)
    }

    @Test func scoreMapsTheTriggerOntoTheDefaultThreshold() {
        #expect(abs(Finding.score(10, trigger: 10, scale: 2) - DetectionConfig().threshold) < 1e-12)
        #expect(Finding.score(12, trigger: 10, scale: 2) > 0.92 && Finding.score(12, trigger: 10, scale: 2) < 1)
        #expect(Finding.score(8, trigger: 10, scale: 2) < 0.92)
    }

    @Test func higherThresholdSilencesWeakFindings() {
        var p = SyntheticPatient()
        var strict = DetectionEngine(config: DetectionConfig(threshold: 0.99))
        let ecg = p.ecg
        let stream = p.preamble() + p.seconds(0..<1000) { s, r in
            guard r.device == ecg, s == 950, let hr = r.number(Channel.heartRate) else { return r }
            return r.with(Channel.heartRate, .number(hr + 15))   // a mild glitch: scores about 0.96
        }
        var normal = DetectionEngine()
        #expect(!run(&normal, stream).isEmpty)
        #expect(run(&strict, stream).isEmpty)
    }
}

/// Issue 17: a recorded line's clock is outside input too. Clocks that are not milliseconds since
/// the epoch (negative, or near Int64.max) once overflowed the decoder's and detectors' arithmetic.
@Suite struct ReplayClockTests {
    @Test func linesWithImpossibleClocksAreSkipped() {
        var loop = ReplayLoop(engine: DetectionEngine())
        var seen: [Int64] = []
        let decode: (String, [UInt8], Int64) -> DecodeOutcome = { topic, _, t in
            seen.append(t)
            return .control(DeviceTopic(topic)!.device, .info(model: "OxiPatch", firmware: "1.4.2", serial: nil))
        }
        let lines = [
            #"{"t":9223372036854774784,"topic":"wban/v1/OXP-7F31A2/info","payload":{}}"#,
            #"{"t":-9000000000000000000,"topic":"wban/v1/OXP-7F31A2/info","payload":{}}"#,
            #"{"t":9007199254740994,"topic":"wban/v1/OXP-7F31A2/info","payload":{}}"#,
            #"{"t":1763884800000,"topic":"wban/v1/OXP-7F31A2/info","payload":{}}"#,
        ]
        for line in lines { _ = loop.process(line: Array(line.utf8)[...], decode: decode, emit: { _ in }) }
        #expect(loop.skippedLines == 3)
        #expect(seen == [1_763_884_800_000])
    }
}
