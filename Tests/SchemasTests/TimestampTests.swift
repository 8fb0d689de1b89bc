import Schemas
import Telemetry
import Testing

/// Issue 17: a valid ISO 8601 timestamp with more than three fractional digits trapped the
/// decoder (SIGILL) and crash-looped the agent. Fractions of any length are time; anything that
/// is not a time is `bad_timestamp`, never a trap.
@Suite struct TimestampTests {
    /// OxiPatch fw 2.x vitals with the given `t` (the reproducer's shape).
    static func oxi2(_ t: String) -> [UInt8] {
        Array(#"{"seq":7,"t":"\#(t)","SpO2":{"v":97,"q":0.98},"PR":{"v":72,"q":0.95},"PI":3.1,"battery":88}"#.utf8)
    }

    static func decode(_ t: String) -> DecodeOutcome {
        var decoder = Fixtures.decoder(setup: "oxi2")
        return decoder.decode(topic: "wban/v1/OXP-7F31A2/vitals", payload: oxi2(t), receivedAt: Fixtures.now)
    }

    /// 2025-11-23T08:00:00Z in milliseconds since the epoch.
    static let base: Int64 = 1_763_884_800_000

    @Test func theReproducerIsAReading() {
        // The message from the issue: microseconds killed every gateway.
        let reading = Fixtures.reading(Self.decode("2025-11-23T08:00:00.123456Z"))
        #expect(reading?.deviceTime == Self.base + 123)
    }

    @Test(arguments: [
        ("2025-11-23T08:00:00Z", Int64(0)),
        ("2025-11-23T08:00:00.1Z", 100),
        ("2025-11-23T08:00:00.12Z", 120),
        ("2025-11-23T08:00:00.123Z", 123),
        ("2025-11-23T08:00:00.1234Z", 123),
        ("2025-11-23T08:00:00.999999999Z", 999),
        ("2025-11-23T08:00:00.9999999999999999999999999999999999Z", 999),
        ("2025-11-23T08:00:00,5Z", 500),
        ("2025-11-23T09:00:00.123456+01:00", 123),
        ("2025-11-23T07:30:00.000001-00:30", 0),
    ])
    func fractionsOfAnyLengthAreTruncatedToMilliseconds(_ t: String, _ millis: Int64) {
        #expect(Fixtures.reading(Self.decode(t))?.deviceTime == Self.base + millis, "\(t)")
    }

    @Test(arguments: [
        "yesterday",
        "2025-11-23T08:00:00",          // no zone
        "2025-11-23T08:00:00.Z",        // a separator without digits
        "2025-11-23T08:00:00.12a3Z",
        "2025-11-23 08:00:00Z",
        "2025-13-23T08:00:00Z",
        "2025-02-30T08:00:00Z",
        "2025-11-23T24:00:00Z",
        "2025-11-23T08:00:00+24:00",
        "2025-11-23T08:00:00.123456Z ",
        "2025-11-23T08:00:00+01",
        "+12025-11-23T08:00:00Z",
    ])
    func anythingElseIsABadTimestamp(_ t: String) {
        #expect(Fixtures.reason(Self.decode(t)) == .badTimestamp, "\(t)")
    }

    @Test func aNumberWhereTextIsExpectedIsABadTimestamp() {
        var decoder = Fixtures.decoder(setup: "oxi2")
        let payload = #"{"seq":7,"t":1763884800000,"SpO2":{"v":97,"q":0.98},"PR":{"v":72,"q":0.95},"PI":3.1,"battery":88}"#
        let outcome = decoder.decode(topic: "wban/v1/OXP-7F31A2/vitals", payload: Array(payload.utf8), receivedAt: Fixtures.now)
        #expect(Fixtures.reason(outcome) == .badTimestamp)
    }

    @Test func fractionalEpochMillisecondsAreABadTimestamp() {
        var decoder = Fixtures.decoder(setup: "oxi1")
        let payload = #"{"seq":1,"ts":1763884800123.5,"spo2":97,"pr":72,"pi":3.1,"batt":88}"#
        let outcome = decoder.decode(topic: "wban/v1/OXP-7F31A2/vitals", payload: Array(payload.utf8), receivedAt: Fixtures.now)
        #expect(Fixtures.reason(outcome) == .badTimestamp)
    }

    /// The same trap through a `pair` message (retained: it came back at every connect).
    @Test func aPairMessageWithMicrosecondsIsAccepted() {
        var decoder = MessageDecoder(catalog: Fixtures.catalog)
        let pair = #"{"patient":"MRN-00012345","bed":"ICU-3","at":"2026-12-07T05:00:00.123456Z"}"#
        let outcome = decoder.decode(topic: "wban/v1/OXP-7F31A2/pair", payload: Array(pair.utf8), receivedAt: Fixtures.now)
        guard case .control(_, .pair(let patient, _, let at)) = outcome else {
            Issue.record("pair not accepted: \(outcome)")
            return
        }
        #expect(patient == "MRN-00012345")
        #expect(at == 1_796_619_600_123)
    }

    @Test func aPairMessageWithAnUnreadableTimeIsABadTimestamp() {
        var decoder = MessageDecoder(catalog: Fixtures.catalog)
        let pair = #"{"patient":"MRN-00012345","at":"2026-12-07T05:00:00.Z"}"#
        let outcome = decoder.decode(topic: "wban/v1/OXP-7F31A2/pair", payload: Array(pair.utf8), receivedAt: Fixtures.now)
        #expect(Fixtures.reason(outcome) == .badTimestamp)
    }
}

/// A unit conversion that overflows (a schema without a range, a huge value) is quarantined,
/// not passed on as infinity to the canonical writer, which would trap.
@Suite struct ConversionOverflowTests {
    @Test func anInfiniteConvertedValueIsImplausible() throws {
        let schema = #"""
        {"format": 1, "id": "rangeless-fw1", "model": "Rangeless", "family": "respiration",
         "firmware": {"min": "1.0.0", "below": "2.0.0"},
         "messages": {"vitals": {"interval_ms": 1000, "sequence": "seq",
           "timestamp": {"field": "ts", "format": "epoch_ms"}, "unknown_fields": "reject",
           "fields": [
             {"field": "ti", "channel": "inspiration_time", "type": "number", "unit": "ms", "source_unit": "s"},
             {"field": "tis", "channel": "inspiration_times", "type": "number_array", "unit": "ms", "source_unit": "s"}]}}}
        """#
        let catalog = try SchemaCatalog(schemas: [try FirmwareSchema(json: try JSONParser().parse(schema), file: "rangeless.json")])
        var decoder = MessageDecoder(catalog: catalog)
        _ = decoder.decode(topic: "wban/v1/RGL-000001/info", payload: Array(#"{"model":"Rangeless","fw":"1.0.0"}"#.utf8),
                           receivedAt: Fixtures.now)
        for payload in [#"{"seq":1,"ts":1763884800000,"ti":1e308}"#, #"{"seq":1,"ts":1763884800000,"tis":[1,1e308]}"#] {
            let outcome = decoder.decode(topic: "wban/v1/RGL-000001/vitals", payload: Array(payload.utf8), receivedAt: Fixtures.now)
            #expect(Fixtures.reason(outcome) == .implausibleValue, "\(payload)")
        }
        let fine = decoder.decode(topic: "wban/v1/RGL-000001/vitals", payload: Array(#"{"seq":2,"ts":1763884800000,"ti":1.5}"#.utf8),
                                  receivedAt: Fixtures.now)
        #expect(Fixtures.reading(fine)?.measurements.first?.value == .number(1500))
    }
}
