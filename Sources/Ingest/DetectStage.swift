import Detection
import Logging
import Telemetry

/// The detect stage: streaming anomaly detection over decoded messages, and the detectors'
/// state, saved to the store every minute and at a clean stop and restored at start.
///
/// A fleet document may switch detection off and on; the engine keeps its state meanwhile.
struct DetectStage {
    /// The size of the state saved last (every patient's and the unpaired devices'), bytes.
    private(set) var savedStateBytes = 0
    private(set) var engine: DetectionEngine?
    /// Whether detection runs.
    private(set) var enabled: Bool
    private let logger: Logger

    /// Detector state: one row per patient under that patient's data key (`patient_state`),
    /// the unpaired devices under the gateway key. `legacyStateKey` is the single blob of every
    /// patient that earlier versions saved under the gateway key; it is read once and deleted
    /// by the next save.
    static let stateName = "detection"
    static let unpairedStateKey = "detection_unpaired"
    static let legacyStateKey = "detection_state"

    /// An engine with `config` (`nil`: none), its state restored from `store`, running if `enabled`.
    init(_ config: DetectionConfig?, enabled: Bool, restoringFrom store: any PipelineStore, logger: Logger) {
        self.logger = logger
        self.enabled = enabled
        engine = config.map { Self.restoredEngine($0, from: store, logger: logger) }
    }

    /// The alerts `outcome` raises (none while detection is off).
    mutating func process(_ outcome: DecodeOutcome, at now: Int64) -> [Alert] {
        guard enabled, engine != nil else { return [] }
        return engine!.process(outcome, at: now)
    }

    /// Puts a fleet document's detection settings in force (`nil`: off, the state kept).
    mutating func configure(_ config: DetectionConfig?) {
        if let config {
            if engine == nil { engine = DetectionEngine(config: config) } else { engine!.config = config }
        }
        enabled = config != nil
    }

    /// Drops an erased patient's state.
    mutating func forgetPatient(_ patient: String) {
        engine?.forgetPatient(patient)
    }

    /// Saves the state a patient at a time (memory stays at one patient's blob, ~43 KB, where
    /// one blob of every patient cost several MB of transient copies).
    mutating func saveState(to store: any PipelineStore, at time: Int64) {
        guard let engine else { return }
        do {
            var bytes = 0
            try store.setPatientStates(Self.stateName, patients: engine.patientIDs, at: time) {
                let state = engine.snapshot(patient: $0)
                bytes += state?.count ?? 0
                return state
            }
            let unpaired = engine.snapshotUnpaired()
            bytes += unpaired.count
            savedStateBytes = bytes
            try store.setEncryptedState(Self.unpairedStateKey, unpaired)
            try store.removeEncryptedState(Self.legacyStateKey)
        } catch {
            logger.warning("cannot save detection state", metadata: ["error": "\(error)"])
        }
    }

    /// An engine with the saved state: a legacy whole-engine blob if one is left, then the
    /// unpaired devices and every patient's row (newer, so they win).
    static func restoredEngine(_ config: DetectionConfig, from store: any PipelineStore, logger: Logger) -> DetectionEngine {
        var engine = DetectionEngine(config: config)
        do {
            if let legacy = try store.encryptedState(legacyStateKey) { try engine.restore(legacy) }
            if let unpaired = try store.encryptedState(unpairedStateKey) { try engine.restoreUnpaired(from: unpaired) }
            var failed = 0
            try store.forEachPatientState(stateName, onError: { _, _ in failed += 1 }) { blob in
                do { try engine.restorePatient(from: blob) } catch { failed += 1 }
            }
            if failed > 0 {
                logger.warning("some patients' detection state was not restored; they start cold",
                               metadata: ["patients": "\(failed)"])
            }
        } catch {
            logger.warning("detection state not restored; starting cold", metadata: ["error": "\(error)"])
            return DetectionEngine(config: config)
        }
        return engine
    }
}
