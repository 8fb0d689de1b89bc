import Cryptography
import Glibc
import MQTT
import Telemetry
import Vault

extension IngestService {
    /// Says at start how the last run ended, and what the poison guard will do about it.
    func reportLastStop() {
        guard let poisonGuard, !poisonGuard.lastRunStoppedCleanly else { return }
        guard let death = poisonGuard.lastDeath else {
            logger.notice("the last run did not stop cleanly (not while decoding a message)")
            return
        }
        let fingerprint = String(death.fingerprint.hash, radix: 16)
        if death.isPoison {
            logger.error("a message killed the agent twice in a row while it was decoded: it is quarantined as poison when the broker delivers it again",
                         metadata: ["topic": "\(death.topic)", "fingerprint": "\(fingerprint)", "deaths": "\(death.deaths)"])
        } else {
            logger.warning("the last run died while decoding a message; if it dies on it again, that message is quarantined as poison",
                           metadata: ["topic": "\(death.topic)", "fingerprint": "\(fingerprint)"])
        }
    }

    /// The outcome of a message that killed the agent twice: quarantined (its payload is kept,
    /// encrypted, like every quarantined payload) and acknowledged, never decoded again. The
    /// log names its topic and digest, never its content.
    func quarantinePoison(_ message: InboundMessage) -> DecodeOutcome {
        let digest = SHA256.hash(message.payload).hexString
        logger.error("quarantined a poison message: it killed the agent while decoded",
                     metadata: ["topic": "\(message.topic)", "sha256": "\(digest)"])
        let topic = DeviceTopic(message.topic)
        return .quarantined(device: topic?.device, kind: topic?.kind,
                            QuarantineVerdict(.poison, "payload sha256 \(digest) killed the agent while decoded"))
    }

    #if DEBUG
    /// Test-only (debug builds): a payload containing `VITALGATE_TEST_FATAL_PAYLOAD` kills the
    /// process while it is decoded, standing in for a decoder bug (CrashRecoveryTests).
    private static let testFatalMarker: [UInt8]? = getenv("VITALGATE_TEST_FATAL_PAYLOAD").map { Array(String(cString: $0).utf8) }

    @inline(__always)
    static func testFatalHook(_ payload: [UInt8]) {
        guard let marker = testFatalMarker, !marker.isEmpty, payload.count >= marker.count else { return }
        for start in 0...(payload.count - marker.count) where payload[start..<(start + marker.count)].elementsEqual(marker) {
            fatalError("test hook: a deliberately fatal message")
        }
    }
    #else
    @inline(__always)
    static func testFatalHook(_ payload: [UInt8]) {}
    #endif
}
