import SQLite
public import Telemetry

extension Vault {
    func loadDevices() throws(VaultError) {
        let rows = try read {
            try db.query("SELECT device, model, firmware, serial, patient_ref, bed FROM devices")
        }
        for row in rows {
            guard let device = row[0].textValue else { continue }
            devices[device] = DeviceRow(model: row[1].textValue, firmware: row[2].textValue, serial: row[3].textValue,
                                        patientRef: row[4].integerValue, bed: row[5].textValue)
        }
    }

    /// Every device's last known model, firmware and pairing, to restore the decoder after a restart.
    public func deviceStates() -> [(device: DeviceID, model: String?, firmware: String?, serial: String?,
                                    patient: String?, bed: String?)] {
        devices.compactMap { id, row in
            guard let device = DeviceID(id) else { return nil }
            let patient = row.patientRef.flatMap { patientsByRef[$0]?.identifier }
            return (device, row.model, row.firmware, row.serial, patient, row.bed)
        }.sorted { $0.device < $1.device }
    }

    /// Applies an `info` or `pair` message and records an event when something changed.
    /// Retained messages redelivered on reconnect change nothing and record nothing.
    func applyControl(_ control: DeviceControl, device: String, at time: Int64, into result: inout StoreResult) throws {
        var row = devices[device] ?? DeviceRow()
        let known = devices[device] != nil
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
        devices[device] = row
    }

    /// Event details never name the patient: the row references the pseudonymous patient row.
    private func recordEvent(device: String, type: String, at time: Int64, detail: [String: String],
                             patientRef: Int64?) throws {
        let json = JSONWriter.canonicalString(.object(detail.map { ($0.key, .string($0.value)) }))
        try db.cached("INSERT INTO events (at, device, type, detail, patient_ref) VALUES (?, ?, ?, ?, ?)")
            .run(.integer(time), .text(device), .text(type), .text(json), patientRef.map { .integer($0) } ?? .null)
    }
}
