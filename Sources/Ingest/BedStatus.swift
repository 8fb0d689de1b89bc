/// What the status page shows of one bed: its devices, its open alerts and the last hour of
/// heart rate and SpO2. The patient appears only as a pseudonym prefix, never an identifier.
public struct BedStatus: Sendable, Equatable {
    /// One device at the bed.
    public struct Device: Sendable, Equatable {
        public var device: String
        public var model: String
        /// When its last reading arrived (ms since the epoch).
        public var lastReadingAt: Int64
        /// Battery, percent, from its last reading that reported one.
        public var battery: Double?
        /// Signal quality 0...1 (the lowest of its last reading's channels), if it reports one.
        public var signalQuality: Double?
    }

    /// An alert raised at the bed in the last 15 minutes.
    public struct OpenAlert: Sendable, Equatable {
        public var category: String
        public var kind: String
        public var at: Int64
    }

    /// One minute of the bed's vitals: the means of the readings received in it.
    public struct Minute: Sendable, Equatable {
        /// The minute (ms since the epoch at its start).
        public var start: Int64
        public var heartRate: Double?
        public var spo2: Double?
    }

    /// The bed's label from the pairing message, or `unassigned` for unpaired devices.
    public var bed: String
    /// The first 12 hex digits of the patient's pseudonym (`nil`: unpaired).
    public var pseudonym: String?
    public var devices: [Device]
    public var openAlerts: [OpenAlert]
    /// Up to the last 60 minutes, oldest first (minutes without a reading are left out).
    public var history: [Minute]
}
