import Telemetry

/// Persistence of the engine's per-device and per-patient state (format in docs/DETECTION.md).
extension DetectionEngine {
    static let magic: [UInt8] = Array("VGDS".utf8)
    /// Version of the state format; bumped on any layout change (old snapshots are then rejected
    /// and detection restarts cold, which only costs warm-up time).
    public static let stateVersion: UInt8 = 2

    /// The whole engine state.
    public func snapshot() -> [UInt8] {
        var w = StateWriter(capacity: 64 * 1024)
        header(&w, kind: 0)
        let ids = patientIDs
        w.write(ids.count)
        for p in ids { w.writeRaw(snapshot(patient: p) ?? []) }
        writeUnpaired(&w)
        return w.bytes
    }

    /// The state of the devices paired to no patient (with their alert-gate entries): together
    /// with `snapshot(patient:)` for every patient it is the whole engine, saved in small parts.
    public func snapshotUnpaired() -> [UInt8] {
        var w = StateWriter(capacity: 4096)
        header(&w, kind: 2)
        writeUnpaired(&w)
        return w.bytes
    }

    /// Restores the unpaired devices written by `snapshotUnpaired()` (patients are untouched).
    public mutating func restoreUnpaired(from bytes: [UInt8]) throws(DetectionStateError) {
        var r = StateReader(bytes)
        try Self.checkHeader(&r, kind: 2)
        let (monitors, keys, times) = try Self.readUnpaired(&r)
        guard r.isAtEnd else { throw DetectionStateError("malformed unpaired state") }
        for monitor in monitors { devices[monitor.device] = monitor }
        for (k, t) in zip(keys, times) { gate.set(k, t) }
    }

    private func writeUnpaired(_ w: inout StateWriter) {
        let unpaired = devices.keys.filter { pairing[$0] == nil }.sorted()
        w.write(unpaired.count)
        for d in unpaired { w.write(devices[d]!) }
        let gateEntries = gate.entries(withPrefixes: unpaired.map { "d:" + $0.rawValue + "|" })
        w.write(gateEntries.map(\.0)); w.write(gateEntries.map(\.1))
    }

    private static func readUnpaired(_ r: inout StateReader) throws(DetectionStateError)
        -> ([DeviceMonitor], [String], [Int64]) {
        let m = try r.readCount(max: 1 << 16)
        var monitors: [DeviceMonitor] = []
        for _ in 0..<m { monitors.append(try r.read(DeviceMonitor.self)) }
        let keys: [String] = try r.read(), times: [Int64] = try r.read()
        guard keys.count == times.count else { throw DetectionStateError("malformed unpaired state") }
        return (monitors, keys, times)
    }

    /// Replaces the engine state with a snapshot taken by `snapshot()`.
    public mutating func restore(_ bytes: [UInt8]) throws(DetectionStateError) {
        var r = StateReader(bytes)
        try Self.checkHeader(&r, kind: 0)
        var engine = DetectionEngine(config: config)
        let n = try r.readCount(max: 1 << 16)
        for _ in 0..<n { try engine.restorePatient(from: try r.readRaw()) }
        let (monitors, keys, times) = try Self.readUnpaired(&r)
        guard r.isAtEnd else { throw DetectionStateError("malformed engine state") }
        for monitor in monitors { engine.devices[monitor.device] = monitor }
        for (k, t) in zip(keys, times) { engine.gate.set(k, t) }
        self = engine
    }

    /// One patient's state: the patient-level monitor, the monitors of the devices paired to
    /// the patient, and their alert-gate entries. `nil` for an unknown patient.
    public func snapshot(patient: String) -> [UInt8]? {
        guard let monitor = patients[patient] else { return nil }
        var w = StateWriter(capacity: 48 * 1024)
        header(&w, kind: 1)
        w.write(patient)
        w.write(monitor)
        let ids = pairing.filter { $0.value == patient }.map(\.key).sorted()
        w.write(ids.count)
        for d in ids { w.write(devices[d] ?? DeviceMonitor(device: d)) }
        let entries = gate.entries(withPrefixes: ["p:" + patient + "|"] + ids.map { "d:" + $0.rawValue + "|" })
        w.write(entries.map(\.0)); w.write(entries.map(\.1))
        return w.bytes
    }

    /// Restores one patient's state written by `snapshot(patient:)`, replacing what the engine
    /// holds for that patient and its devices.
    public mutating func restorePatient(from bytes: [UInt8]) throws(DetectionStateError) {
        var r = StateReader(bytes)
        try Self.checkHeader(&r, kind: 1)
        let patient: String = try r.read()
        let monitor: PatientMonitor = try r.read()
        let n = try r.readCount(max: 1024)
        var restored: [DeviceMonitor] = []
        for _ in 0..<n { restored.append(try r.read()) }
        let keys: [String] = try r.read(), times: [Int64] = try r.read()
        guard keys.count == times.count, r.isAtEnd else { throw DetectionStateError("malformed patient state") }
        patients[patient] = monitor
        for d in restored {
            devices[d.device] = d
            pairing[d.device] = patient
        }
        for (k, t) in zip(keys, times) { gate.set(k, t) }
    }

    private func header(_ w: inout StateWriter, kind: UInt8) {
        for b in Self.magic { w.write(b) }
        w.write(Self.stateVersion)
        w.write(kind)
    }

    private static func checkHeader(_ r: inout StateReader, kind: UInt8) throws(DetectionStateError) {
        for b in magic where try r.read(UInt8.self) != b { throw DetectionStateError("not a detection state") }
        let version: UInt8 = try r.read()
        guard version == stateVersion else { throw DetectionStateError("unsupported state version \(version)") }
        guard try r.read(UInt8.self) == kind else { throw DetectionStateError("wrong state kind") }
    }
}
