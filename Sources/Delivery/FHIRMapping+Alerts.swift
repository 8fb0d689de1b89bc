import Telemetry

extension FHIRMapping {
    /// An alert as a DetectedIssue a clinical system can query: the detector's kind as its
    /// code, the category in the detail, severity from the score, the evidence window as
    /// `identifiedPeriod`, the device among `implicated`, and the Observations of the readings
    /// it rests on (`implicated`, from the outbox) as `evidence`, by identifier.
    func detectedIssue(_ alert: JSONValue, recordID: Int64, patient: String?, implicated: [Reading] = []) -> FHIRResource {
        let kind = alert["kind"]?.stringValue ?? "unknown"
        let category = alert["category"]?.stringValue ?? "unknown"
        let score = alert["score"]?.numberValue ?? 0
        let raised = alert["t"]?.numberValue.map { Int64($0) } ?? 0
        let start = alert["evidence_start"]?.numberValue.map { Int64($0) } ?? raised
        let end = alert["evidence_end"]?.numberValue.map { Int64($0) } ?? raised
        var members: [(key: String, value: JSONValue)] = [
            ("resourceType", .string("DetectedIssue")),
            ("identifier", .array([identifier(alertSystem, String(recordID))])),
            ("status", .string("final")),
            ("code", .object([
                ("coding", .array([coding(Self.alertKindSystem, kind, kind.replacingUnderscores)])),
                ("text", .string("\(category) alert: \(kind.replacingUnderscores)")),
            ])),
            ("severity", .string(score >= 0.95 ? "high" : score >= 0.8 ? "moderate" : "low")),
        ]
        if let patient { members.append(("patient", reference("Patient", patientIdentifierSystem, patient))) }
        members.append(("identifiedPeriod", .object([
            ("start", .string(UTCTimestamp.iso8601(milliseconds: min(start, end)))),
            ("end", .string(UTCTimestamp.iso8601(milliseconds: max(start, end)))),
        ])))
        if let device = alert["device"]?.stringValue {
            members.append(("implicated", .array([reference("Device", deviceSystem, device)])))
        }
        let observations = implicated.flatMap { resources(for: $0, patient: patient) }
        if !observations.isEmpty {
            let references = observations.map { reference("Observation", observationSystem, $0.identifierValue) }
            members.append(("evidence", .array([.object([("detail", .array(references))])])))
        }
        members.append(("detail", .string(String(format3: score, kind: kind, category: category))))
        return FHIRResource(resourceType: "DetectedIssue", identifierSystem: alertSystem, identifierValue: String(recordID),
                            json: .object(members))
    }
}

extension String {
    /// `probe_off` → `probe off`.
    fileprivate var replacingUnderscores: String { split(separator: "_").joined(separator: " ") }

    /// The detail line of an alert: its category, kind and score (three decimals).
    fileprivate init(format3 score: Double, kind: String, category: String) {
        let thousandths = Int((score * 1000).rounded())
        let fraction = String(thousandths % 1000)
        self = "VitalGate \(category) alert \(kind), score \(thousandths / 1000)."
            + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
