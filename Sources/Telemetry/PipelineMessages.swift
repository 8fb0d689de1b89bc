/// One message as the pipeline hands it to the vault: the raw bytes and what decoding made of them.
public struct IncomingMessage: Sendable {
    public var topic: String
    public var payload: [UInt8]
    public var receivedAt: Int64
    public var outcome: DecodeOutcome

    public init(topic: String, payload: [UInt8], receivedAt: Int64, outcome: DecodeOutcome) {
        self.topic = topic
        self.payload = payload
        self.receivedAt = receivedAt
        self.outcome = outcome
    }
}

/// An alert to store alongside a batch. `body` (the alert's JSON line) is encrypted.
public struct AlertRecord: Sendable {
    public var at: Int64
    public var device: String?
    public var patient: String?
    public var category: String
    public var kind: String
    public var score: Double
    public var body: [UInt8]

    public init(at: Int64, device: String?, patient: String?, category: String, kind: String, score: Double,
                body: [UInt8]) {
        self.at = at
        self.device = device
        self.patient = patient
        self.category = category
        self.kind = kind
        self.score = score
        self.body = body
    }
}

/// What one `store` call did.
public struct StoreResult: Sendable, Equatable {
    public var stored = 0
    public var duplicates = 0
    public var conflicts = 0
    public var unpaired = 0
    public var quarantined = 0
    public var events = 0
    public var alerts = 0

    public init() {}
}
