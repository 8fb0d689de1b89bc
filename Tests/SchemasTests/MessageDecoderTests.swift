import Schemas
import Telemetry
import Testing

@Suite struct MessageDecoderTests {
    private func decode(_ setup: String, _ topic: String, _ payload: String) -> DecodeOutcome {
        var decoder = Fixtures.decoder(setup: setup)
        return decoder.decode(topic: topic, payload: Array(payload.utf8), receivedAt: Fixtures.now)
    }

    @Test func oxiPatchFirmware1NormalisesAndRecordsSchema() throws {
        let outcome = decode("oxi1", "wban/v1/OXP-7F31A2/vitals",
                             #"{"seq":123,"ts":1763884800123,"spo2":97,"pr":72,"pi":3.1,"batt":88}"#)
        guard case .reading(let r, let patient) = outcome else { Issue.record("\(outcome)"); return }
        #expect(patient == "MRN-00012345")
        #expect(r.schemaID == "oxipatch-fw1")
        #expect(r.seq == 123 && r.deviceTime == 1_763_884_800_123 && r.receivedAt == Fixtures.now)
        #expect(r.number(Channel.spo2) == 97 && r[Channel.spo2]?.unit == "%")
        #expect(r.number(Channel.pulseRate) == 72 && r[Channel.pulseRate]?.unit == "/min")
        #expect(r.number(Channel.perfusionIndex) == 3.1)
        #expect(r.number(Channel.battery) == 88)
    }

    @Test func oxiPatchSentinelsBecomeNoSignal() throws {
        let outcome = decode("oxi1", "wban/v1/OXP-7F31A2/vitals",
                             #"{"seq":124,"ts":1763884801123,"spo2":127,"pr":255,"pi":0.0,"batt":88}"#)
        let r = try #require(Fixtures.reading(outcome))
        #expect(r[Channel.spo2]?.value == .noSignal)
        #expect(r[Channel.pulseRate]?.value == .noSignal)
    }

    @Test func oxiPatchFirmware2NestedValuesQualityAndNull() throws {
        let ok = try #require(Fixtures.reading(decode("oxi2", "wban/v1/OXP-7F31A2/vitals",
            #"{"seq":123,"t":"2025-11-23T08:00:00.123Z","SpO2":{"v":97,"q":0.98},"PR":{"v":72,"q":0.95},"PI":3.1,"battery":88}"#)))
        #expect(ok.schemaID == "oxipatch-fw2")
        #expect(ok.deviceTime == 1_763_884_800_123)  // 2025-11-23T08:00:00.123Z
        #expect(ok[Channel.spo2] == Measurement(channel: Channel.spo2, value: .number(97), unit: "%", quality: 0.98))
        let lost = try #require(Fixtures.reading(decode("oxi2", "wban/v1/OXP-7F31A2/vitals",
            #"{"seq":124,"t":"2025-11-23T08:00:01.123Z","SpO2":{"v":null,"q":0.0},"PR":{"v":null,"q":0.0},"PI":0.2,"battery":88}"#)))
        #expect(lost[Channel.spo2]?.value == .noSignal)
        #expect(lost[Channel.pulseRate]?.value == .noSignal)
    }

    @Test func thermaDotFahrenheitBecomesCelsius() throws {
        let r = try #require(Fixtures.reading(decode("thd10", "wban/v1/THD-1CF67D/vitals",
                                                     #"{"seq":5,"ts":1763884800000,"temp_f":98.6}"#)))
        let celsius = try #require(r.number(Channel.temperature))
        #expect(abs(celsius - 37.0) < 1e-9)
        #expect(r[Channel.temperature]?.unit == "Cel")
        let c = try #require(Fixtures.reading(decode("thd11", "wban/v1/THD-1CF67D/vitals",
                                                     #"{"seq":5,"ts":1763884800000,"temp_c":37.0,"site":"axillary"}"#)))
        #expect(c.number(Channel.temperature) == 37.0 && c[Channel.temperatureSite]?.value == .text("axillary"))
    }

    @Test func cardioStripLeadOffIsNoSignalAndWaveformDecodes() throws {
        let off = try #require(Fixtures.reading(decode("cds", "wban/v1/CDS-812142/vitals",
            #"{"seq":88,"ts":1763884800000,"hr":0,"rr_ms":[],"lead_off":true}"#)))
        #expect(off[Channel.heartRate]?.value == .noSignal && off[Channel.leadOff]?.value == .flag(true))
        let on = try #require(Fixtures.reading(decode("cds", "wban/v1/CDS-812142/vitals",
            #"{"seq":88,"ts":1763884800000,"hr":71,"rr_ms":[845,850,838],"lead_off":false}"#)))
        #expect(on[Channel.rrIntervals]?.value == .series([845, 850, 838]))
        // 250 samples of 0x0001, 0xFFFF alternating -> 1, -1
        var bytes: [UInt8] = []
        for i in 0..<250 { bytes += i % 2 == 0 ? [0x01, 0x00] : [0xFF, 0xFF] }
        let b64 = base64(bytes)
        let wave = try #require(Fixtures.reading(decode("cds", "wban/v1/CDS-812142/waveform",
            #"{"seq":89,"ts0":1763884800000,"fs":250,"lead":"II","n":250,"uV":"\#(b64)"}"#)))
        guard case .samples(let samples)? = wave[Channel.ecg]?.value else { Issue.record("no samples"); return }
        #expect(samples == (0..<250).map { $0 % 2 == 0 ? 1 : -1 })
        #expect(wave.kind == .waveform && wave.number(Channel.samplingRate) == 250)
    }

    @Test func cuffProValuesOnlyWhenOk() throws {
        let ok = try #require(Fixtures.reading(decode("cuf", "wban/v1/CUF-C2DA3A/vitals",
            #"{"seq":17,"ts":1763884800000,"sys":118,"dia":76,"map":90,"pr":70,"status":"ok"}"#)))
        #expect(ok.number(Channel.systolic) == 118 && ok[Channel.systolic]?.unit == "mm[Hg]")
        let motion = try #require(Fixtures.reading(decode("cuf", "wban/v1/CUF-C2DA3A/vitals",
            #"{"seq":18,"ts":1763884800000,"status":"motion"}"#)))
        #expect(motion[Channel.systolic] == nil && motion[Channel.cuffStatus]?.value == .text("motion"))
    }

    @Test func resPodDecodes() throws {
        let r = try #require(Fixtures.reading(decode("rsp", "wban/v1/RSP-99A2B1/vitals",
            #"{"seq":401,"ts":1763884800000,"rr":16,"posture":"supine","fall":false,"acc":[0.01,-0.02,0.98]}"#)))
        #expect(r.number(Channel.respiratoryRate) == 16 && r[Channel.acceleration]?.value == .series([0.01, -0.02, 0.98]))
    }

    @Test func firmwareUpdateSwitchesSchemaAndUnpairClearsPatient() throws {
        var decoder = Fixtures.decoder(setup: "oxi1")
        let topic = "wban/v1/OXP-7F31A2/"
        let update = decoder.decode(topic: topic + "info", payload: Array(#"{"model":"OxiPatch","fw":"2.0.3"}"#.utf8),
                                    receivedAt: Fixtures.now)
        #expect(update == .control(DeviceID("OXP-7F31A2")!, .info(model: "OxiPatch", firmware: "2.0.3", serial: nil)))
        let fw2 = #"{"seq":1,"t":"2025-11-23T08:00:00Z","SpO2":{"v":97,"q":0.9},"PR":{"v":70,"q":0.9},"PI":1.0,"battery":80}"#
        #expect(Fixtures.reading(decoder.decode(topic: topic + "vitals", payload: Array(fw2.utf8),
                                                receivedAt: Fixtures.now))?.schemaID == "oxipatch-fw2")
        _ = decoder.decode(topic: topic + "pair", payload: Array(#"{"patient":null,"at":"2026-11-23T12:00:00Z"}"#.utf8),
                           receivedAt: Fixtures.now)
        guard case .reading(_, let patient) = decoder.decode(topic: topic + "vitals", payload: Array(fw2.utf8),
                                                              receivedAt: Fixtures.now) else {
            Issue.record("expected a reading"); return
        }
        #expect(patient == nil)
    }

    @Test func shippedSchemasCoverEveryDeviceFamily() {
        let models = Set(Fixtures.catalog.schemas.map(\.model))
        #expect(models == ["OxiPatch", "CardioStrip", "ThermaDot", "CuffPro", "ResPod"])
        #expect(Fixtures.catalog.schema(model: "ThermaDot", firmware: "1.0.7")?.id == "thermadot-fw1.0")
        #expect(Fixtures.catalog.schema(model: "ThermaDot", firmware: "1.1")?.id == "thermadot-fw1.1")
        #expect(Fixtures.catalog.schema(model: "OxiPatch", firmware: "3.0.0") == nil)
    }

    private func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var i = 0
        while i < bytes.count {
            let chunk = Array(bytes[i..<min(i + 3, bytes.count)])
            let n = (Int(chunk[0]) << 16) | (chunk.count > 1 ? Int(chunk[1]) << 8 : 0) | (chunk.count > 2 ? Int(chunk[2]) : 0)
            out.append(alphabet[n >> 18 & 63]); out.append(alphabet[n >> 12 & 63])
            out.append(chunk.count > 1 ? alphabet[n >> 6 & 63] : "="); out.append(chunk.count > 2 ? alphabet[n & 63] : "=")
            i += 3
        }
        return out
    }
}
