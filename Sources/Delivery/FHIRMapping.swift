public import Telemetry
public import Vault

/// A FHIR R4 resource ready to send: its type, the deterministic business identifier it is
/// created under (conditional create: a resource sent again never makes a second one), and
/// its JSON.
public struct FHIRResource: Sendable {
    public var resourceType: String
    public var identifierSystem: String
    public var identifierValue: String
    public var json: JSONValue

    /// `system|value`, as a conditional create's `ifNoneExist` search names it.
    public var identifierToken: String { "\(identifierSystem)|\(identifierValue)" }
}

/// How outbox records become FHIR R4 resources (docs/FHIR.md): readings become Observations
/// following the R4 Vital Signs profiles, ECG chunks Observations with `valueSampledData`, the
/// devices Device resources, alerts DetectedIssues. Quarantined messages never reach it.
public struct FHIRMapping: Sendable {
    /// The gateway's id: part of every identifier system, so two gateways never collide.
    public var gatewayID: String
    /// The system of the patient identifier (the hospital's MRN namespace).
    public var patientIdentifierSystem: String

    public init(gatewayID: String, patientIdentifierSystem: String = FHIRMapping.defaultPatientIdentifierSystem) {
        self.gatewayID = gatewayID
        self.patientIdentifierSystem = patientIdentifierSystem
    }

    /// Used when the configuration names none.
    public static let defaultPatientIdentifierSystem = "urn:vitalgate:patient-identifier"

    var observationSystem: String { "urn:vitalgate:\(gatewayID):observation" }
    var deviceSystem: String { "urn:vitalgate:\(gatewayID):device" }
    var alertSystem: String { "urn:vitalgate:\(gatewayID):alert" }
    static let alertKindSystem = "urn:vitalgate:alert-kind"

    /// The system of the patient's keyed pseudonym, by which a record names the patient when
    /// consent denies its receiver the MRN (issue 21): `urn:vitalgate:{gateway}:patient-pseudonym`.
    public var patientPseudonymSystem: String { "urn:vitalgate:\(gatewayID):patient-pseudonym" }

    /// The resources of one outbox record (none for a reading with nothing chartable). A record
    /// whose identity consent withheld references the patient by pseudonym.
    public func resources(for entry: OutboxEntry) -> [FHIRResource] {
        if entry.identityWithheld, let pseudonym = entry.patientPseudonym {
            var byPseudonym = self
            byPseudonym.patientIdentifierSystem = patientPseudonymSystem
            var named = entry
            named.patient = pseudonym
            return byPseudonym.resources(for: named)
        }
        switch entry.content {
        case .reading(let reading): return resources(for: reading, patient: entry.patient, questionedBy: entry.questionedBy)
        case .alert(let alert): return [detectedIssue(alert, recordID: entry.id, patient: entry.patient, implicated: entry.implicated)]
        }
    }

    /// The Observations of a reading of `patient` (nil: unpaired, the Device is the subject).
    /// A reading whose arrival raised value-check alerts (`questionedBy`, their kinds) is marked
    /// questionable in `interpretation`, so it is never charted as a clean value.
    public func resources(for reading: Reading, patient: String?, questionedBy: [String] = []) -> [FHIRResource] {
        let observations = reading.kind == .waveform ? waveformObservations(reading, patient: patient)
            : vitalObservations(reading, patient: patient)
        guard !questionedBy.isEmpty else { return observations }
        return observations.map { observation in
            var marked = observation
            if case .object(var members) = observation.json {
                members.append(("interpretation", Self.questionable(questionedBy)))
                marked.json = .object(members)
            }
            return marked
        }
    }

    /// `interpretation` of a reading that failed value checks: HL7 v3 `IND` (indeterminate),
    /// and the checks in the text.
    static func questionable(_ checks: [String]) -> JSONValue {
        .array([.object([
            ("coding", .array([.object([
                ("system", .string("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation")),
                ("code", .string("IND")), ("display", .string("Indeterminate")),
            ])])),
            ("text", .string("questionable: the gateway's value checks flagged this reading (\(checks.joined(separator: ", ")))")),
        ])])
    }

    /// The DetectedIssue of an alert's line, stored as record `recordID`, with the
    /// Observations of the `implicated` readings as its evidence.
    public func resources(forAlert alert: JSONValue, recordID: Int64, patient: String?,
                          implicated: [Reading] = []) -> [FHIRResource] {
        [detectedIssue(alert, recordID: recordID, patient: patient, implicated: implicated)]
    }

    /// The Device resource of a reading's device (model and firmware from the reading, the
    /// serial number from the device's `info` message when it sent one).
    public func device(of reading: Reading, serial: String? = nil) -> FHIRResource {
        var members: [(key: String, value: JSONValue)] = [
            ("resourceType", .string("Device")),
            ("identifier", .array([identifier(deviceSystem, reading.device.rawValue)])),
            ("status", .string("active")),
        ]
        if let serial { members.append(("serialNumber", .string(serial))) }
        members += [
            ("deviceName", .array([.object([("name", .string(reading.model)), ("type", .string("model-name"))])])),
            ("modelNumber", .string(reading.model)),
            ("version", .array([.object([("value", .string(reading.firmware))])])),
        ]
        let json = JSONValue.object(members)
        return FHIRResource(resourceType: "Device", identifierSystem: deviceSystem, identifierValue: reading.device.rawValue,
                            json: json)
    }

    // MARK: Building blocks

    func identifier(_ system: String, _ value: String) -> JSONValue {
        .object([("system", .string(system)), ("value", .string(value))])
    }

    /// A logical reference by identifier (the receiver resolves it; the gateway knows no server ids).
    func reference(_ type: String, _ system: String, _ value: String) -> JSONValue {
        .object([("type", .string(type)), ("identifier", identifier(system, value))])
    }

    func subject(_ patient: String?, device: DeviceID) -> JSONValue {
        if let patient { return reference("Patient", patientIdentifierSystem, patient) }
        return reference("Device", deviceSystem, device.rawValue)
    }

    func codeableConcept(_ code: VitalSignCode) -> JSONValue {
        var codings = code.loinc.map { coding(VitalSignCode.loincSystem, $0.code, $0.display) }
        if let mdc = code.mdc { codings.append(coding(VitalSignCode.mdcSystem, mdc.code, mdc.display)) }
        return .object([("coding", .array(codings)), ("text", .string(code.text))])
    }

    func coding(_ system: String, _ code: String, _ display: String) -> JSONValue {
        .object([("system", .string(system)), ("code", .string(code)), ("display", .string(display))])
    }

    static let vitalSignsCategory = category("vital-signs", "Vital Signs")
    /// ECG chunks: a recording, not a vital sign (the R4 Vital Signs profiles do not cover it).
    static let procedureCategory = category("procedure", "Procedure")

    private static func category(_ code: String, _ display: String) -> JSONValue {
        .array([.object([
            ("coding", .array([.object([
                ("system", .string("http://terminology.hl7.org/CodeSystem/observation-category")),
                ("code", .string(code)), ("display", .string(display)),
            ])])),
        ])])
    }

    /// `dataAbsentReason` of a value the device reported without signal.
    static let noSignal = JSONValue.object([
        ("coding", .array([.object([
            ("system", .string("http://terminology.hl7.org/CodeSystem/data-absent-reason")),
            ("code", .string("error")), ("display", .string("Error")),
        ])])),
        ("text", .string("the sensor reported no signal")),
    ])

    func quantity(_ value: Double, unit: String, display: String) -> JSONValue {
        .object([("value", .number(value)), ("unit", .string(display)), ("system", .string(VitalSignCode.ucumSystem)),
                 ("code", .string(unit))])
    }
}
