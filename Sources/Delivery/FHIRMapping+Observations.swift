import Telemetry
import Vault

extension FHIRMapping {
    /// The Observations of a vitals reading: one per charted channel (the blood pressure panel
    /// holds systolic and diastolic as components). Device-only channels (battery, perfusion
    /// index, posture, acceleration, lead-off and cuff status) are not charted.
    func vitalObservations(_ reading: Reading, patient: String?) -> [FHIRResource] {
        var resources: [FHIRResource] = []
        let oximeter = reading["spo2"] != nil
        for measurement in reading.measurements {
            let code: VitalSignCode
            switch measurement.channel {
            case "heart_rate": code = .heartRateByECG
            case "pulse_rate": code = oximeter ? .pulseRateByOximetry : .pulseRateByCuff
            case "spo2": code = .oxygenSaturation
            case "respiratory_rate": code = .respiratoryRate
            case "body_temperature": code = .bodyTemperature
            case "mean_arterial_pressure": code = .meanArterialPressure
            default: continue
            }
            let id = observationID(reading, channel: measurement.channel)
            var members = observationHead(reading, id: id, code: code, patient: patient)
            members.append(value(measurement, code: code))
            if measurement.channel == "body_temperature", case .text(let site)? = reading["temperature_site"]?.value {
                members.append(("bodySite", .object([("text", .string(site))])))
            }
            resources.append(observation(id: id, members))
        }
        if let panel = bloodPressurePanel(reading, patient: patient) { resources.append(panel) }
        return resources
    }

    /// The blood pressure panel (85354-9) with its systolic and diastolic components; a failed
    /// cuff measurement is charted as the panel with `dataAbsentReason` and the cuff's status.
    private func bloodPressurePanel(_ reading: Reading, patient: String?) -> FHIRResource? {
        let systolic = reading["systolic_pressure"], diastolic = reading["diastolic_pressure"]
        guard systolic != nil || diastolic != nil || reading["cuff_status"] != nil else { return nil }
        let id = observationID(reading, channel: "blood_pressure")
        var members = observationHead(reading, id: id, code: .bloodPressurePanel, patient: patient)
        if systolic == nil && diastolic == nil {
            var absent = Self.noSignal
            if case .object(var fields) = absent, case .text(let status)? = reading["cuff_status"]?.value {
                fields.removeAll { $0.key == "text" }
                fields.append(("text", .string("the cuff reported \(status)")))
                absent = .object(fields)
            }
            members.append(("dataAbsentReason", absent))
        } else {
            let components: [JSONValue] = [(systolic, VitalSignCode.systolic), (diastolic, VitalSignCode.diastolic)]
                .compactMap { measurement, code in
                    guard let measurement else { return nil }
                    return .object([("code", codeableConcept(code)), value(measurement, code: code)])
                }
            members.append(("component", .array(components)))
        }
        return observation(id: id, members)
    }

    /// The Observations of an ECG chunk: `valueSampledData` in µV, one sample every 1/fs s.
    func waveformObservations(_ reading: Reading, patient: String?) -> [FHIRResource] {
        guard case .samples(let samples)? = reading["ecg"]?.value,
              let rate = reading.number("sampling_rate"), rate > 0 else { return [] }
        var code = VitalSignCode.ecgWaveform
        if case .text(let lead)? = reading["ecg_lead"]?.value { code.text = "ECG lead \(lead)" }
        let id = observationID(reading, channel: "ecg")
        var members = observationHead(reading, id: id, code: code, patient: patient, category: Self.procedureCategory)
        members.append(("valueSampledData", .object([
            ("origin", quantity(0, unit: "uV", display: "uV")),
            ("period", .number((1000 / rate * 1000).rounded() / 1000)),
            ("factor", .number(1)),
            ("dimensions", .number(1)),
            ("data", .string(Self.sampledData(samples))),
        ])))
        return [observation(id: id, members)]
    }

    /// SampledData's `data`: the samples as decimal integers separated by spaces, written
    /// byte by byte (a chunk holds hundreds of samples; a String per sample cost more than the
    /// rest of the Observation).
    static func sampledData(_ samples: [Int16]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(samples.count * 6)
        var digits: [UInt8] = []
        for (index, sample) in samples.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: " ")) }
            if sample < 0 { bytes.append(UInt8(ascii: "-")) }
            var magnitude = Int(sample).magnitude
            digits.removeAll(keepingCapacity: true)
            repeat {
                digits.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: digits.reversed())
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The members every Observation of a reading starts with.
    /// (`id`: the Observation's identifier value, ``observationID(_:channel:)``, made once.)
    private func observationHead(_ reading: Reading, id: String, code: VitalSignCode, patient: String?,
                                 category: JSONValue = FHIRMapping.vitalSignsCategory) -> [(key: String, value: JSONValue)] {
        [
            ("resourceType", .string("Observation")),
            ("identifier", .array([identifier(observationSystem, id)])),
            ("status", .string("final")),
            ("category", category),
            ("code", codeableConcept(code)),
            ("subject", subject(patient, device: reading.device)),
            ("effectiveDateTime", .string(UTCTimestamp.iso8601(milliseconds: reading.deviceTime))),
            ("device", reference("Device", deviceSystem, reading.device.rawValue)),
        ]
    }

    /// `valueQuantity`, or `dataAbsentReason` for a value without signal.
    private func value(_ measurement: Measurement, code: VitalSignCode) -> (key: String, value: JSONValue) {
        guard case .number(let number) = measurement.value else { return ("dataAbsentReason", Self.noSignal) }
        return ("valueQuantity", quantity(number, unit: measurement.unit, display: code.unitDisplay))
    }

    private func observation(id: String, _ members: [(key: String, value: JSONValue)]) -> FHIRResource {
        FHIRResource(resourceType: "Observation", identifierSystem: observationSystem, identifierValue: id,
                     json: .object(members))
    }

    /// A reading's Observation identifier: device, sequence number, device time and channel,
    /// which a redelivered copy shares (the vault's dedupe identity).
    func observationID(_ reading: Reading, channel: String) -> String {
        "\(reading.device.rawValue).\(reading.seq).\(reading.deviceTime).\(channel)"
    }
}
