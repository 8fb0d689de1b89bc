public import MQTT
import Foundation

/// A paired OxiPatch on firmware 1.4.2 and its vitals: the smallest stream that stores readings.
public enum SampleTelemetry {
    /// The device announcement and pairing, then vitals `seqs` one second apart, the last a minute ago.
    public static func oxiPatch(_ seqs: Range<Int>, device: String = "OXP-7F31A2", patient: String = "MRN-7")
        -> [MQTTOptions.Message] {
        let ts = Int64(Date().timeIntervalSince1970 * 1000) - 60_000 - Int64(seqs.upperBound) * 1000
        return [
            MQTTOptions.Message(topic: "wban/v1/\(device)/info", payload: Array(#"{"model":"OxiPatch","fw":"1.4.2"}"#.utf8)),
            MQTTOptions.Message(topic: "wban/v1/\(device)/pair", payload: Array(#"{"patient":"\#(patient)"}"#.utf8)),
        ] + seqs.map { seq in
            MQTTOptions.Message(topic: "wban/v1/\(device)/vitals",
                                payload: Array(#"{"seq":\#(seq),"ts":\#(ts + Int64(seq) * 1000),"spo2":97,"pr":70}"#.utf8))
        }
    }
}
