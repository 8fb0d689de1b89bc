import Foundation
import MQTT

/// An OxiPatch announced and paired with retained messages, and its 1.x-format vitals.
struct PairedOxiPatch {
    let device: String
    let firmware: String
    let patient: String
    let bed: String

    /// The retained announcement and pairing.
    var setup: [MQTTOptions.Message] {
        [
            MQTTOptions.Message(topic: "wban/v1/\(device)/info",
                                payload: Array(#"{"model":"OxiPatch","fw":"\#(firmware)"}"#.utf8), retain: true),
            MQTTOptions.Message(topic: "wban/v1/\(device)/pair",
                                payload: Array(#"{"patient":"\#(patient)","bed":"\#(bed)","at":"2025-11-23T08:00:00Z"}"#.utf8),
                                retain: true),
        ]
    }

    /// Vitals `seq`, measured a minute ago (plus `seq` ms).
    func vitals(_ seq: Int) -> MQTTOptions.Message {
        let ts = Int64(Date().timeIntervalSince1970 * 1000) - 60_000 + Int64(seq)
        return MQTTOptions.Message(topic: "wban/v1/\(device)/vitals",
                                   payload: Array(#"{"seq":\#(seq),"ts":\#(ts),"spo2":97,"pr":72,"pi":3.1,"batt":88}"#.utf8))
    }
}
