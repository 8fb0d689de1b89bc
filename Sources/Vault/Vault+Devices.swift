import SQLite
public import Telemetry

extension Vault {
    /// Every device's last known model, firmware and pairing, to restore the decode stage (which
    /// holds the live state) after a restart.
    public func deviceStates() throws(VaultError) -> [DeviceID: DeviceState] {
        let rows = try read {
            try db.query("SELECT device, model, firmware, serial, patient_ref, bed FROM devices")
        }
        var states: [DeviceID: DeviceState] = [:]
        for row in rows {
            guard let device = row[0].textValue.flatMap(DeviceID.init) else { continue }
            states[device] = DeviceState(model: row[1].textValue, firmware: row[2].textValue, serial: row[3].textValue,
                                         patient: row[4].integerValue.flatMap { patientsByRef[$0]?.identifier },
                                         bed: row[5].textValue)
        }
        return states
    }

    /// The stored row of `device` (inside the store's transaction), if any.
    private func deviceRow(_ device: String) throws -> DeviceRow? {
        let lookup = try db.cached("SELECT model, firmware, serial, patient_ref, bed FROM devices WHERE device = ?")
        try lookup.bind(.text(device))
        defer { lookup.reset() }
        guard try lookup.step() else { return nil }
        return DeviceRow(model: lookup.text(0), firmware: lookup.text(1), serial: lookup.text(2),
                         patientRef: lookup.isNull(3) ? nil : lookup.int64(3), bed: lookup.text(4))
    }

    /// Applies an `info` or `pair` message to the device's row and records an event when
    /// something changed. Retained messages redelivered on reconnect change nothing and record
    /// nothing. The row is read in the store's transaction: a batch that rolls back leaves
    /// nothing behind, and its redelivery records the change again.
    func applyControl(_ control: DeviceControl, device: String, at time: Int64, into result: inout StoreResult) throws {
        let stored = try deviceRow(device)
        var row = stored ?? DeviceRow()
        let known = stored != nil
        switch control {
        case .info(let model, let firmware, let serial):
            if !known || row.model == nil {
                try recordEvent(device: device, type: "device_announced", at: time,
                                detail: ["model": model, "firmware": firmware], patientRef: row.patientRef)
                result.events += 1
            } else if row.model != model || row.firmware != firmware {
                try recordEvent(device: device, type: "firmware_changed", at: time,
                                detail: ["model": model, "from": row.firmware ?? "", "to": firmware,
                                         "previous_model": row.model ?? ""], patientRef: row.patientRef)
                result.events += 1
            }
            row.model = model
            row.firmware = firmware
            row.serial = serial
        case .pair(let patient, let bed, let at):
            var newRef: Int64?
            if let patient { newRef = try self.patient(for: patient, at: time).ref }
            if newRef != row.patientRef {
                let when = at.map { String($0) } ?? ""
                if let old = row.patientRef {
                    try recordEvent(device: device, type: "unpaired", at: time, detail: ["at": when], patientRef: old)
                    result.events += 1
                }
                if let newRef {
                    try recordEvent(device: device, type: "paired", at: time, detail: ["at": when, "bed": bed ?? ""],
                                    patientRef: newRef)
                    result.events += 1
                }
            }
            row.patientRef = newRef
            row.bed = newRef == nil ? nil : bed
        }
        try db.cached("""
            INSERT INTO devices (device, model, firmware, serial, patient_ref, bed, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(device) DO UPDATE SET model = excluded.model, firmware = excluded.firmware,
                serial = excluded.serial, patient_ref = excluded.patient_ref, bed = excluded.bed,
                updated_at = excluded.updated_at
            """).run(.text(device), row.model.map { .text($0) } ?? .null, row.firmware.map { .text($0) } ?? .null,
                     row.serial.map { .text($0) } ?? .null, row.patientRef.map { .integer($0) } ?? .null,
                     row.bed.map { .text($0) } ?? .null, .integer(time))
    }

    /// Event details never name the patient: the row references the pseudonymous patient row.
    private func recordEvent(device: String, type: String, at time: Int64, detail: [String: String],
                             patientRef: Int64?) throws {
        let json = JSONWriter.canonicalString(.object(detail.map { ($0.key, .string($0.value)) }))
        try db.cached("INSERT INTO events (at, device, type, detail, patient_ref) VALUES (?, ?, ?, ?, ?)")
            .run(.integer(time), .text(device), .text(type), .text(json), patientRef.map { .integer($0) } ?? .null)
    }
}

/// A device's row in the `devices` table.
private struct DeviceRow {
    var model: String?
    var firmware: String?
    var serial: String?
    var patientRef: Int64?
    var bed: String?
}
