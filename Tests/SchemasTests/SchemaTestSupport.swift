import Foundation
import Schemas
import Telemetry

/// Shared fixtures: the repository's own Firmware-Schemas and devices announced through `info`.
enum Fixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let catalog: SchemaCatalog = {
        // The shipped schema files must load; a failure here is a test failure, not a skip.
        try! SchemaCatalog.load(directory: repositoryRoot.appendingPathComponent("Firmware-Schemas").path)
    }()

    static let now: Int64 = 1_763_884_801_000  // just after the DEVICES.md example timestamps

    static let devices: [String: (id: String, model: String, fw: String)] = [
        "oxi1": ("OXP-7F31A2", "OxiPatch", "1.4.2"),
        "oxi2": ("OXP-7F31A2", "OxiPatch", "2.0.3"),
        "oxi9": ("OXP-7F31A2", "OxiPatch", "9.9.9"),
        "unknown-model": ("OXP-7F31A2", "FooBand", "1.0.0"),
        "cds": ("CDS-812142", "CardioStrip", "3.2.0"),
        "thd10": ("THD-1CF67D", "ThermaDot", "1.0.0"),
        "thd11": ("THD-1CF67D", "ThermaDot", "1.1.4"),
        "cuf": ("CUF-C2DA3A", "CuffPro", "5.1.0"),
        "rsp": ("RSP-99A2B1", "ResPod", "2.3.1"),
    ]

    /// A decoder with the named device announced (and paired to a test patient).
    static func decoder(setup: String) -> MessageDecoder {
        var decoder = MessageDecoder(catalog: catalog)
        if let device = devices[setup] {
            let info = #"{"model":"\#(device.model)","fw":"\#(device.fw)","serial":"\#(device.id)"}"#
            _ = decoder.decode(topic: "wban/v1/\(device.id)/info", payload: Array(info.utf8), receivedAt: now)
            let pair = #"{"patient":"MRN-00012345","bed":"ICU-3","at":"2026-11-23T08:00:00Z"}"#
            _ = decoder.decode(topic: "wban/v1/\(device.id)/pair", payload: Array(pair.utf8), receivedAt: now)
        } else if setup != "none" {
            // `none` and unknown ids behave alike; keep the intent explicit in the corpus.
            precondition(setup == "none", "unknown setup \(setup)")
        }
        return decoder
    }

    static func reading(_ outcome: DecodeOutcome) -> Reading? {
        if case .reading(let reading, _) = outcome { return reading }
        return nil
    }

    static func reason(_ outcome: DecodeOutcome) -> QuarantineReason? {
        if case .quarantined(_, _, let verdict) = outcome { return verdict.reason }
        return nil
    }
}
