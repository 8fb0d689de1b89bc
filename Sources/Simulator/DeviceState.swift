internal import Telemetry

/// The four topics of one device, built once.
struct DeviceTopics: Sendable {
    let info: String
    let vitals: String
    let waveform: String
    let pair: String

    init(_ id: DeviceID) {
        let base = "\(DeviceTopic.prefix)\(id.rawValue)/"
        info = base + MessageKind.info.rawValue
        vitals = base + MessageKind.vitals.rawValue
        waveform = base + MessageKind.waveform.rawValue
        pair = base + MessageKind.pair.rawValue
    }
}

/// What a silent device does when it comes back.
enum ResumeAction: Sendable {
    case none
    /// Battery swapped: re-publish `info`, restart `seq` at 0.
    case reboot
    /// Moved to another patient: publish the new `pair`.
    case pair
}

/// The mutable state of one simulated device: identity, counters, clock, fault state and the
/// few family-specific values (battery, perfusion, ECG synthesiser, temperature site).
struct DeviceState: Sendable {
    let id: DeviceID
    let family: DeviceFamily
    let topics: DeviceTopics
    /// Firmware that decides the payload format.
    var firmware: String
    /// Index into the simulator's patients.
    var patient: Int
    /// Reporting period, ms.
    let period: Int64
    /// Publish time of the next reading, ms.
    var nextTick: Int64
    /// Measurement noise and benign artefacts.
    var rng: SplitMix64
    /// Fault decisions only, so enabling faults leaves the clean values of other messages alone.
    var faultRng: SplitMix64
    var seq: UInt32

    // Device clock: a small residual offset after each sync, then drift until the next sync.
    static let syncInterval: Int64 = 300_000
    var clockResidual: Double
    var clockDriftPPM: Double
    var lastSync: Int64

    // Fault state; `Int64.min` means "not active".
    var silentUntil: Int64 = .min
    var resume: ResumeAction = .none
    var bufferUntil: Int64 = .min
    var bufferedCount: Int64 = 0
    var unsyncedUntil: Int64 = .min
    var uptimeAtLoss: Int64 = 0
    var lossTime: Int64 = 0
    var unknownFirmwareUntil: Int64 = .min
    var restUntil: Int64 = .min

    // Family-specific state.
    var battery: Double
    var perfusionBase: Double
    var perfusion: OrnsteinUhlenbeck
    var episodeUntil: Int64 = .min
    let temperatureSite: String
    var ecg: ECGSynth
    /// The last few published vitals/waveform messages, for `duplicate`.
    var history: [SimulatedMessage] = []
    static let historyLimit = 6

    init(id: DeviceID, family: DeviceFamily, firmware: String, patient: Int, period: Int64,
         startTime: Int64, heartRate: Double, rng: SplitMix64) {
        var rng = rng
        self.id = id
        self.family = family
        self.topics = DeviceTopics(id)
        self.firmware = firmware
        self.patient = patient
        self.period = period
        nextTick = startTime + rng.int64(in: 1...max(1, period - 1))  // random phase, never exactly at start
        faultRng = SplitMix64(seed: rng.next(), stream: 0xFA17)
        seq = UInt32(rng.int(below: 50_000))
        clockResidual = rng.gaussian(mean: 0, sd: 25)
        clockDriftPPM = rng.uniform(-50...50)
        lastSync = startTime - rng.int64(in: 0...(Self.syncInterval - 1))
        battery = rng.uniform(70...100)
        perfusionBase = rng.uniform(1.2...5)
        perfusion = OrnsteinUhlenbeck(tau: 600, sd: 0.15, rng: &rng)
        let siteRoll = rng.nextDouble()
        temperatureSite = siteRoll < 0.7 ? "axillary" : siteRoll < 0.85 ? "skin" : siteRoll < 0.95 ? "oral" : "core"
        ecg = ECGSynth(heartRate: heartRate, rng: &rng)
        self.rng = rng
    }

    /// Returns the current `seq` and advances the counter (uint32, wraps).
    mutating func takeSeq() -> UInt32 {
        defer { seq &+= 1 }
        return seq
    }

    /// The device clock at publish time `now`: resynced every few minutes, drifting in between,
    /// or time since the clock was lost while unsynced.
    mutating func deviceTime(at now: Int64) -> Int64 {
        if now < unsyncedUntil {
            return uptimeAtLoss + (now - lossTime)
        }
        if now - lastSync >= Self.syncInterval {
            lastSync = now - (now - lastSync) % Self.syncInterval
            clockResidual = rng.gaussian(mean: 0, sd: 25)
        }
        let drift = clockDriftPPM * 1e-6 * Double(now - lastSync)
        return now + Int64((clockResidual + drift).rounded())
    }

    /// Remembers a published message for later duplication.
    mutating func remember(_ message: SimulatedMessage) {
        if history.count == Self.historyLimit { history.removeFirst() }
        history.append(message)
    }

    /// The `info` payload announcing `firmware`.
    func infoPayload(firmware: String) -> [UInt8] {
        var writer = PayloadWriter(capacity: 64)
        writer.string("model", family.model)
        writer.string("fw", firmware)
        writer.string("serial", id.rawValue)
        return writer.finish()
    }
}
