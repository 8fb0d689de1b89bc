import Detection
import FuzzSupport
import Schemas
import Simulator
import Telemetry

/// The firmware-schema decoder over every shipped schema and message kind, with the devices
/// announced and paired, followed by the detection engine (as `run` and `detect --replay` do).
///
/// An input is a stream of up to 64 messages separated by 0xFF (a byte no JSON payload holds).
/// Each message's first byte picks the device (one per shipped schema, and one never announced)
/// and the message kind; the rest is the payload. Messages arrive a second apart, so the
/// decoder's device state and the detectors' histories carry from one to the next.
func fuzzMessageDecoder(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = bytes(data, size)
    var decoder = DecoderFixture.decoder
    var engine = DetectionEngine()
    var now = DecoderFixture.now
    for message in input.split(separator: 0xFF, maxSplits: 64, omittingEmptySubsequences: true) {
        let selector = Int(message[message.startIndex])
        let device = DecoderFixture.devices[selector % DecoderFixture.devices.count]
        let kind = DecoderFixture.kinds[(selector / DecoderFixture.devices.count) % DecoderFixture.kinds.count]
        let outcome = decoder.decode(topic: "wban/v1/\(device)/\(kind)", payload: Array(message.dropFirst()), receivedAt: now)
        _ = engine.process(outcome, at: now)
        now += 1000
    }
    return 0
}

/// Devices announced and paired once, copied for each input (a value type).
enum DecoderFixture {
    static let now: Int64 = 1_763_884_801_000  // 2025-11-23T08:00:01Z, just after the DEVICES.md examples
    static let kinds = ["vitals", "waveform", "info", "pair"]

    /// The shipped schemas, from the checkout this target was built in.
    static let catalog: SchemaCatalog = {
        do { return try SchemaCatalog.load(directory: repositoryRoot() + "/Firmware-Schemas") } catch {
            finding("cannot load the shipped schemas: \(error)")
        }
    }()

    /// One device per schema (DEV-000000, DEV-000001, …, at the schema's lowest firmware), and
    /// DEV-FFFFFF, never announced.
    static let devices: [String] = catalog.schemas.indices.map { "DEV-\(String($0, radix: 16, uppercase: true).leftPadded(6))" }
        + ["DEV-FFFFFF"]

    static let decoder: MessageDecoder = {
        var decoder = MessageDecoder(catalog: catalog)
        for (index, schema) in catalog.schemas.enumerated() {
            let id = devices[index]
            let info = #"{"model":"\#(schema.model)","fw":"\#(schema.firmwareMin)","serial":"\#(id)"}"#
            _ = decoder.decode(topic: "wban/v1/\(id)/info", payload: Array(info.utf8), receivedAt: now)
            // Two patients, so that the patient-level detectors see devices of both.
            let pair = #"{"patient":"MRN-0000000\#(index % 2)","bed":"ICU-\#(index % 2)","at":"2025-11-23T07:59:00Z"}"#
            _ = decoder.decode(topic: "wban/v1/\(id)/pair", payload: Array(pair.utf8), receivedAt: now)
        }
        return decoder
    }()
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

extension DecoderFixture {
    /// The selector byte of a message of `kind` from the fixture device at `index`.
    static func selector(device index: Int, kind: String) -> UInt8 {
        UInt8(index + devices.count * (kinds.firstIndex(of: kind) ?? 0))
    }

    /// Streams from the simulator (every family, both OxiPatch and ThermaDot firmwares, all
    /// field faults), each device's messages mapped onto the fixture device of its schema, and
    /// the issue-17 reproducer (microseconds in an fw 2.x `t`).
    static func seeds() -> [(name: String, bytes: [UInt8])] {
        var seeds: [(name: String, bytes: [UInt8])] = []
        let oxi2 = catalog.schemas.firstIndex { $0.model == "OxiPatch" && $0.messages[.vitals]?.timestampFormat == .iso8601 } ?? 0
        let reproducer = #"{"seq":7,"t":"2025-11-23T08:00:00.123456Z","SpO2":{"v":97,"q":0.98},"PR":{"v":72,"q":0.95},"PI":3.1,"battery":88}"#
        seeds.append(("issue-17-microseconds", [selector(device: oxi2, kind: "vitals")] + Array(reproducer.utf8)))
        let pair = #"{"patient":"MRN-00012345","bed":"ICU-3","at":"2026-12-07T05:00:00.123456Z"}"#
        seeds.append(("issue-17-pair-microseconds", [selector(device: oxi2, kind: "pair")] + Array(pair.utf8)))
        for (run, v2) in [(1, 0.0), (2, 1.0), (3, 0.5)] {
            let config = SimulatorConfig(patients: 1, seed: UInt64(run), faults: Set(FaultKind.allCases), faultRate: 0.05,
                                         oxiPatchV2Fraction: v2, thermaDotFahrenheitFraction: v2, cuffProIntervalSeconds: 5,
                                         thermaDotIntervalSeconds: 5)
            guard var simulator = try? TelemetrySimulator(config: config) else { finding("simulator config") }
            var announced: [String: (model: String, firmware: String)] = [:]
            var streams: [Int: [[UInt8]]] = [:]
            for message in simulator.messages(until: config.startTime + 120_000) {
                guard let topic = message.deviceTopic else { continue }
                let device = topic.device.rawValue
                if topic.kind == .info, let json = try? JSONParser().parse(message.payload),
                   let model = json["model"]?.stringValue, let firmware = json["fw"]?.stringValue {
                    announced[device] = (model, firmware)
                }
                guard let known = announced[device],
                      let schema = catalog.schema(model: known.model, firmware: known.firmware),
                      let index = catalog.schemas.firstIndex(where: { $0.id == schema.id }) else { continue }
                let encoded = [selector(device: index, kind: topic.kind.rawValue)] + message.payload
                if streams[index, default: []].count < 12 { streams[index, default: []].append(encoded) }
            }
            for (index, messages) in streams.sorted(by: { $0.key < $1.key }) {
                seeds.append(("sim-\(run)-device-\(index)", Array(messages.joined(separator: [0xFF]))))
                if let last = messages.last { seeds.append(("sim-\(run)-device-\(index)-one", last)) }
            }
        }
        return seeds
    }
}
