public import Consent
public import Fleet
internal import Schemas
public import Telemetry

/// The body of a consent document: a FHIR R4 `Consent` resource, read strictly into a
/// ``ConsentRecord`` (and written from one).
///
/// What is read: `resourceType` `Consent`; `id` (the record id); `status` `active` or
/// `inactive`; `scope` (must carry `consentscope#patient-privacy`); `category` (one or more
/// CodeableConcepts); `patient.identifier` (`system`, `value`: the MRN); `dateTime` (a full
/// instant with a zone); `policyRule` (a CodeableConcept); `provision` (`type`, `period`,
/// `actor[].role` + `actor[].reference.identifier`, `purpose[]` (v3-ActReason codes), `class[]`
/// (``FHIRConsent/dataClassSystem`` codes), `dataPeriod`, nested `provision[]` at most
/// ``ConsentProvision/maxDepth`` deep). Anything else is refused, naming the field, never a value.
public enum FHIRConsent {
    /// The code system of data classes (`provision.class`): `vitals`, `waveform`, `alerts`, `identity`.
    public static let dataClassSystem = "urn:vitalgate:data-class"
    /// The identifier system of recipients (`provision.actor.reference.identifier`): a sink's `recipient`.
    public static let recipientSystem = "urn:vitalgate:recipient"
    /// `scope` of a privacy consent.
    public static let scopeSystem = "http://terminology.hl7.org/CodeSystem/consentscope"
    /// The role written for recipients: v3-ParticipationType `IRCP` (information recipient).
    public static let recipientRole = (system: "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", code: "IRCP")
    /// The category written: LOINC 59284-0 (Patient Consent).
    public static let category = (system: "http://loinc.org", code: "59284-0")
    /// The policy rule written: v3-ActCode `OPTIN`.
    public static let policyRule = (system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "OPTIN")

    /// Reads a `Consent` resource at `path`, as a record of `version` from `source`.
    /// - Throws: ``ConfigRejection`` `.malformed` naming the field.
    public static func record(_ json: JSONValue, path: String, version: UInt64,
                              source: ConsentSource) throws(ConfigRejection) -> ConsentRecord {
        var r = try SchemaReader(json, path: path)
        guard try r.string("resourceType") == "Consent" else {
            throw ConfigRejection(.malformed(field: r.field("resourceType"), detail: "expected \"Consent\""))
        }
        let id = try r.string("id")
        guard isFHIRID(id) else {
            throw ConfigRejection(.malformed(field: r.field("id"), detail: "expected a FHIR id (1-64 of A-Z a-z 0-9 - .)"))
        }
        guard let status = ConsentRecord.Status(rawValue: try r.string("status")) else {
            throw ConfigRejection(.malformed(field: r.field("status"), detail: "expected \"active\" or \"inactive\""))
        }
        let scope = try codeableConcept(try r.required("scope"), path: r.field("scope"))
        guard scope.contains(where: { $0.system == scopeSystem && $0.code == "patient-privacy" }) else {
            throw ConfigRejection(.malformed(field: r.field("scope"), detail: "expected \(scopeSystem)#patient-privacy"))
        }
        let categories = try r.array("category")
        guard !categories.isEmpty else {
            throw ConfigRejection(.malformed(field: r.field("category"), detail: "expected at least one category"))
        }
        for (index, category) in categories.enumerated() {
            _ = try codeableConcept(category, path: r.field("category") + "[\(index)]")
        }
        let patient = try patientIdentifier(try r.required("patient"), path: r.field("patient"))
        let issuedAt = try instant(try r.required("dateTime"), path: r.field("dateTime"))
        _ = try codeableConcept(try r.required("policyRule"), path: r.field("policyRule"))
        let provision = try self.provision(try r.required("provision"), path: r.field("provision"), depth: 1)
        try r.finish()
        return ConsentRecord(id: id, patient: patient, version: version, status: status, issuedAt: issuedAt,
                             provision: provision, source: source)
    }

    /// The `Consent` resource of `record` (the inverse of ``record(_:path:version:source:)``),
    /// naming the patient under `patientSystem`.
    public static func json(_ record: ConsentRecord, patientSystem: String) -> JSONValue {
        .object([
            ("resourceType", .string("Consent")), ("id", .string(record.id)), ("status", .string(record.status.rawValue)),
            ("scope", concept(scopeSystem, "patient-privacy")),
            ("category", .array([concept(category.system, category.code)])),
            ("patient", .object([("identifier", identifier(patientSystem, record.patient))])),
            ("dateTime", .string(UTCTimestamp.iso8601(milliseconds: record.issuedAt))),
            ("policyRule", concept(policyRule.system, policyRule.code)),
            ("provision", json(record.provision)),
        ])
    }

    private static func json(_ provision: ConsentProvision) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [("type", .string(provision.type.rawValue))]
        if let period = json(provision.period) { members.append(("period", period)) }
        if !provision.actors.isEmpty {
            members.append(("actor", .array(provision.actors.sorted().map {
                .object([("role", concept(recipientRole.system, recipientRole.code)),
                         ("reference", .object([("identifier", identifier(recipientSystem, $0))]))])
            })))
        }
        if !provision.purposes.isEmpty {
            members.append(("purpose", .array(provision.purposes.sorted().map { coding(PurposeOfUse.system, $0.rawValue) })))
        }
        if !provision.classes.isEmpty {
            members.append(("class", .array(provision.classes.codeList.map { coding(dataClassSystem, $0) })))
        }
        if let period = json(provision.dataPeriod) { members.append(("dataPeriod", period)) }
        if !provision.provisions.isEmpty { members.append(("provision", .array(provision.provisions.map { json($0) }))) }
        return .object(members)
    }

    private static func json(_ period: ConsentPeriod) -> JSONValue? {
        var members: [(key: String, value: JSONValue)] = []
        if let start = period.start { members.append(("start", .string(UTCTimestamp.iso8601(milliseconds: start)))) }
        if let end = period.end { members.append(("end", .string(UTCTimestamp.iso8601(milliseconds: end)))) }
        return members.isEmpty ? nil : .object(members)
    }

    private static func coding(_ system: String, _ code: String) -> JSONValue {
        .object([("system", .string(system)), ("code", .string(code))])
    }

    private static func concept(_ system: String, _ code: String) -> JSONValue {
        .object([("coding", .array([coding(system, code)]))])
    }

    private static func identifier(_ system: String, _ value: String) -> JSONValue {
        .object([("system", .string(system)), ("value", .string(value))])
    }

    // MARK: Reading

    private static func provision(_ json: JSONValue, path: String, depth: Int) throws(ConfigRejection) -> ConsentProvision {
        guard depth <= ConsentProvision.maxDepth else {
            throw ConfigRejection(.malformed(field: path, detail: "provisions nested deeper than \(ConsentProvision.maxDepth)"))
        }
        var r = try SchemaReader(json, path: path)
        guard let type = ProvisionType(rawValue: try r.string("type")) else {
            throw ConfigRejection(.malformed(field: r.field("type"), detail: "expected \"permit\" or \"deny\""))
        }
        var result = ConsentProvision(type: type)
        if let value = r.optional("period") { result.period = try period(value, path: r.field("period")) }
        if let value = r.optional("dataPeriod") { result.dataPeriod = try period(value, path: r.field("dataPeriod")) }
        if r.optional("actor") != nil {
            for (index, element) in try r.array("actor").enumerated() {
                var a = try SchemaReader(element, path: r.field("actor") + "[\(index)]")
                _ = try codeableConcept(try a.required("role"), path: a.field("role"))
                var reference = try SchemaReader(try a.required("reference"), path: a.field("reference"))
                let (system, value) = try identifier(try reference.required("identifier"), path: reference.field("identifier"))
                guard system == recipientSystem else {
                    throw ConfigRejection(.malformed(field: reference.field("identifier.system"), detail: "expected \(recipientSystem)"))
                }
                try reference.finish()
                try a.finish()
                result.actors.insert(value)
            }
        }
        if r.optional("purpose") != nil {
            for (index, element) in try r.array("purpose").enumerated() {
                let field = r.field("purpose") + "[\(index)]"
                let code = try coding(element, path: field)
                guard code.system == PurposeOfUse.system, let purpose = PurposeOfUse(rawValue: code.code) else {
                    throw ConfigRejection(.malformed(field: field, detail: "expected a \(PurposeOfUse.system) code"))
                }
                result.purposes.insert(purpose)
            }
        }
        if r.optional("class") != nil {
            for (index, element) in try r.array("class").enumerated() {
                let field = r.field("class") + "[\(index)]"
                let code = try coding(element, path: field)
                guard code.system == dataClassSystem, let dataClass = DataClasses(code: code.code) else {
                    throw ConfigRejection(.malformed(field: field, detail: "expected a \(dataClassSystem) code"))
                }
                result.classes.insert(dataClass)
            }
        }
        if r.optional("provision") != nil {
            for (index, element) in try r.array("provision").enumerated() {
                result.provisions.append(try provision(element, path: r.field("provision") + "[\(index)]", depth: depth + 1))
            }
        }
        try r.finish()
        return result
    }

    private static func period(_ json: JSONValue, path: String) throws(ConfigRejection) -> ConsentPeriod {
        var r = try SchemaReader(json, path: path)
        var period = ConsentPeriod()
        if let start = r.optional("start") { period.start = try instant(start, path: r.field("start")) }
        if let end = r.optional("end") { period.end = try instant(end, path: r.field("end")) }
        try r.finish()
        if let start = period.start, let end = period.end, end < start {
            throw ConfigRejection(.malformed(field: path, detail: "end before start"))
        }
        return period
    }

    /// A full instant with a zone (`2026-12-07T10:00:00Z`), as ms since the epoch.
    private static func instant(_ json: JSONValue, path: String) throws(ConfigRejection) -> Int64 {
        // From 1970 to the end of year 9999 (what the writer spells with four digits).
        guard let text = json.stringValue, text.utf8.count <= 64, let ms = Timestamps.parseISO8601(text),
              (0...253_402_300_799_999).contains(ms) else {
            throw ConfigRejection(.malformed(field: path, detail: "expected a dateTime with seconds and a zone, 1970-9999"))
        }
        return ms
    }

    private static func patientIdentifier(_ json: JSONValue, path: String) throws(ConfigRejection) -> String {
        var r = try SchemaReader(json, path: path)
        let (_, value) = try identifier(try r.required("identifier"), path: r.field("identifier"))
        try r.finish()
        return value
    }

    private static func identifier(_ json: JSONValue, path: String) throws(ConfigRejection) -> (system: String, value: String) {
        var r = try SchemaReader(json, path: path)
        let system = try r.string("system")
        let value = try r.string("value")
        try r.finish()
        guard !system.isEmpty, system.utf8.count <= 256 else {
            throw ConfigRejection(.malformed(field: r.field("system"), detail: "expected a URI of 1-256 bytes"))
        }
        guard !value.isEmpty, value.utf8.count <= 256 else {
            throw ConfigRejection(.malformed(field: r.field("value"), detail: "expected 1-256 bytes"))
        }
        return (system, value)
    }

    private static func codeableConcept(_ json: JSONValue, path: String) throws(ConfigRejection) -> [(system: String, code: String)] {
        var r = try SchemaReader(json, path: path)
        var codings: [(system: String, code: String)] = []
        for (index, element) in try r.array("coding").enumerated() {
            codings.append(try coding(element, path: r.field("coding") + "[\(index)]"))
        }
        if r.optional("text") != nil { _ = try r.string("text") }
        try r.finish()
        guard !codings.isEmpty else {
            throw ConfigRejection(.malformed(field: r.field("coding"), detail: "expected at least one coding"))
        }
        return codings
    }

    private static func coding(_ json: JSONValue, path: String) throws(ConfigRejection) -> (system: String, code: String) {
        var r = try SchemaReader(json, path: path)
        let system = try r.string("system")
        let code = try r.string("code")
        if r.optional("display") != nil { _ = try r.string("display") }
        try r.finish()
        return (system, code)
    }

    /// A FHIR `id`: 1-64 of A-Z a-z 0-9 `-` `.`.
    static func isFHIRID(_ text: String) -> Bool {
        let utf8 = text.utf8
        return (1...64).contains(utf8.count) && utf8.allSatisfy {
            (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) || $0 == 45 || $0 == 46
        }
    }
}
