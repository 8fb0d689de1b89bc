import Cryptography
import Logging
import MQTT
import Schemas
import Telemetry

/// The decode stage: firmware schemas turn each received message into a canonical reading, a
/// device control, or a typed quarantine verdict; the device state (`info`, `pair`) lives here.
///
/// The poison guard stands around every decode: a message that kills the agent twice in a row
/// while decoded is quarantined as `poison` instead of crash-looping it (DECISIONS 27).
struct DecodeStage {
    private(set) var decoder: MessageDecoder
    /// `nil`: the guard file cannot be used (logged at start).
    let poisonGuard: PoisonGuard?
    private let logger: Logger

    /// A decoder over `catalog`, its device states restored from `store`, its guard beside the store's file.
    init(catalog: SchemaCatalog, limits: DecodeLimits, store: any PipelineStore, logger: Logger) {
        self.logger = logger
        do {
            poisonGuard = try PoisonGuard(path: store.path + ".decoding")
        } catch {
            poisonGuard = nil
            logger.error("running without the poison-message guard", metadata: ["error": "\(error)"])
        }
        decoder = MessageDecoder(catalog: catalog, limits: limits)
        do {
            for (device, state) in try store.deviceStates() { decoder.restore(device, state) }
        } catch {
            logger.error("the devices' last state cannot be read; they are known again from their next info and pair",
                         metadata: ["error": "\(error)"])
        }
    }

    /// Decodes one message; `inspect` sees the outcome while the guard still covers it (detection).
    mutating func decode(_ message: InboundMessage, at now: Int64, inspect: (DecodeOutcome) -> Void) -> DecodeOutcome {
        let fingerprint = PoisonGuard.Fingerprint(topic: message.topic, payload: message.payload)
        if let poisonGuard, poisonGuard.isPoison(fingerprint) { return quarantinePoison(message) }
        poisonGuard?.willDecode(fingerprint, topic: message.topic)
        let outcome = decoder.decode(topic: message.topic, payload: message.payload, receivedAt: now)
        Self.testFatalHook(message.payload)
        inspect(outcome)
        poisonGuard?.didDecode()
        return outcome
    }

    /// Puts a fleet-delivered catalogue in force.
    mutating func replaceCatalog(_ catalog: SchemaCatalog) {
        decoder.replaceCatalog(catalog)
    }

    /// Records a clean stop (the next start is not a crash).
    func stoppedCleanly() {
        poisonGuard?.stoppedCleanly()
    }

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
    private func quarantinePoison(_ message: InboundMessage) -> DecodeOutcome {
        let digest = SHA256.hash(message.payload).hexString
        logger.error("quarantined a poison message: it killed the agent while decoded",
                     metadata: ["topic": "\(message.topic)", "sha256": "\(digest)"])
        let topic = DeviceTopic(message.topic)
        return .quarantined(device: topic?.device, kind: topic?.kind,
                            QuarantineVerdict(.poison, "payload sha256 \(digest) killed the agent while decoded"))
    }
}
