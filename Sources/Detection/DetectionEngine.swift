public import Telemetry

/// Streaming anomaly detection over decoded telemetry, per device and per patient.
///
/// Feed every `DecodeOutcome` in arrival order with its arrival time; the engine returns the
/// alerts raised by that message (usually none). It never looks at the wall clock, so replay
/// and live operation run the same code. State is bounded per device and per patient and
/// can be persisted with `snapshot()` / `restore(_:)` (or per patient) across restarts.
public struct DetectionEngine: Sendable {
    public var config: DetectionConfig
    var devices: [DeviceID: DeviceMonitor] = [:]
    var patients: [String: PatientMonitor] = [:]
    var pairing: [DeviceID: String] = [:]
    var gate = AlertGate()
    /// Calibration aid (`vitalgate detect --candidates`): when set, every finding is also kept in
    /// `candidates`, before the alert gate and whatever its score. Off in the agent.
    public var keepsCandidates = false
    /// Findings kept while `keepsCandidates` is set, as alerts; the caller drains them.
    public var candidates: [Alert] = []

    public init(config: DetectionConfig = DetectionConfig()) {
        self.config = config
    }

    /// Processes one decoded message that arrived at `arrival` (ms, arrival clock).
    public mutating func process(_ outcome: DecodeOutcome, at arrival: Int64) -> [Alert] {
        var findings: [Finding] = []
        var patient: String?
        switch outcome {
        case .control(let device, .info):
            devices[device, default: DeviceMonitor(device: device)].noteInfo(at: arrival)
            return []
        case .control(let device, .pair(let newPatient, _, _)):
            assign(device, to: newPatient)
            return []
        case .quarantined(let device?, _, let verdict):
            patient = pairing[device]
            guard devices[device] != nil else { return [] }
            findings = devices[device]!.observeQuarantine(verdict, at: arrival)
        case .quarantined(nil, _, _):
            return []
        case .reading(let reading, let paired):
            let device = reading.device
            if pairing[device] != paired { assign(device, to: paired) }
            patient = paired
            guard reading.kind == .vitals else { return [] }
            var monitor = devices.removeValue(forKey: device) ?? DeviceMonitor(device: device)
            if !monitor.isDuplicate(reading, at: arrival, config: config, findings: &findings) {
                monitor.observeTransport(reading, at: arrival, config: config, findings: &findings)
                monitor.observeValues(reading, at: arrival, config: config, findings: &findings)
                if let p = paired {
                    patients[p, default: PatientMonitor()].observe(reading, role: monitor.role, at: arrival,
                                                                   config: config, findings: &findings)
                }
            }
            devices[device] = monitor
        }
        guard !findings.isEmpty else { return [] }
        if keepsCandidates {
            for f in findings where patient != nil || f.device != nil {
                candidates.append(Alert(t: arrival, patient: patient, device: f.device, category: f.category, kind: f.kind,
                                        score: f.score, evidenceStart: f.evidenceStart, evidenceEnd: f.evidenceEnd))
            }
        }
        var alerts: [Alert] = []
        for f in findings where gate.admit(f, patient: patient, at: arrival, config: config) {
            guard patient != nil || f.device != nil else { continue }
            alerts.append(Alert(t: arrival, patient: patient, device: f.device, category: f.category, kind: f.kind,
                                score: f.score, evidenceStart: f.evidenceStart, evidenceEnd: f.evidenceEnd))
        }
        return alerts
    }

    /// A device moved to another patient (or was detached): its value history no longer applies.
    private mutating func assign(_ device: DeviceID, to patient: String?) {
        guard pairing[device] != patient else { return }
        if pairing[device] != nil, var monitor = devices[device] {
            let fresh = DeviceMonitor(device: device)
            monitor.histories = fresh.histories
            monitor.replay = fresh.replay
            monitor.trace = fresh.trace
            monitor.freeze = fresh.freeze
            monitor.samePrintRun = 0
            devices[device] = monitor
        }
        pairing[device] = patient
    }

    /// Patients with detection state.
    public var patientIDs: [String] { patients.keys.sorted() }

    /// Drops everything the engine holds about `patient` (an erased patient): the patient's
    /// monitor, the value history of the devices paired to them, and their alert-gate entries.
    /// The devices stay known, unpaired, with fresh histories.
    public mutating func forgetPatient(_ patient: String) {
        let paired = pairing.filter { $0.value == patient }.map(\.key)
        for device in paired {
            assign(device, to: nil)  // clears the device's value history
        }
        patients[patient] = nil
        gate.forget(withPrefixes: ["p:" + patient + "|"] + paired.map { "d:" + $0.rawValue + "|" })
    }

    /// The latest trend evaluation of a patient (z per vital: heart rate, respiratory rate, SpO2,
    /// systolic pressure, temperature; NEWS2 now; NEWS2 at baseline; deterioration index; activity).
    public func trendDiagnostics(patient: String) -> [Double] {
        patients[patient]?.trends.lastEvaluation.map(Double.init) ?? []
    }
}
