public import Consent
public import Telemetry

/// The sealed record of a disclosure: its canonical JSON (docs/CONSENT.md, "Disclosure log"),
/// what the record's commitment is over and what a proof bundle of it opens.
extension Disclosure {
    /// The `schema_id` of a disclosure's sealed record (a `readings` row of kind `event`).
    public static let recordSchema = "disclosure-v1"
    /// The `type` member of the record.
    static let recordType = "disclosure"

    /// The record as JSON: `type`, `v`, `patient`, `recipient`, `channel` (`sink` with `sink`
    /// naming it, or `export`), `purpose`, `basis` (`patient_consent` with `consent` listing the
    /// record versions, `default_policy`, `break_glass`), `classes`, `ranges` (`[first, last]`
    /// pairs), `ranges_exact` (false when they cover more than the records disclosed), `count`,
    /// `first_disclosed_at` and `disclosed_at` (the window of an aggregate; equal otherwise).
    /// This is format `v` 2; version 1 records (no `ranges_exact`, no `first_disclosed_at`) still read.
    public var recordJSON: JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("type", .string(Self.recordType)), ("v", .number(2)), ("patient", .string(patient)),
            ("recipient", .string(recipient)), ("purpose", .string(purpose.rawValue)),
            ("classes", .array(classes.codeList.map { .string($0) })),
            ("ranges", .array(recordRanges.map { .array([.number(Double($0.lowerBound)), .number(Double($0.upperBound))]) })),
            ("ranges_exact", .bool(rangesExact)), ("count", .number(Double(count))),
            ("first_disclosed_at", .number(Double(firstDisclosedAt))), ("disclosed_at", .number(Double(disclosedAt))),
        ]
        switch channel {
        case .sink(let name): members += [("channel", .string("sink")), ("sink", .string(name))]
        case .export: members.append(("channel", .string("export")))
        }
        switch basis {
        case .patientConsent(let versions):
            members.append(("basis", .string("patient_consent")))
            members.append(("consent", .array(versions.map {
                .object([("id", .string($0.recordID)), ("version", .number(Double($0.version)))])
            })))
        case .defaultPolicy: members.append(("basis", .string("default_policy")))
        case .breakGlass: members.append(("basis", .string("break_glass")))
        }
        return .object(members)
    }

    /// The record's canonical bytes (sorted keys, no whitespace): what its commitment is over.
    public var recordBytes: [UInt8] { JSONWriter.canonicalBytes(recordJSON) }

    /// Reads a record written by ``recordJSON``; strict about every member's type and value.
    /// - Throws: ``VaultError`` `.corruptRow` naming the first member that does not read.
    public init(recordJSON json: JSONValue) throws(VaultError) {
        func bad(_ member: String) -> VaultError { VaultError(.corruptRow, "disclosure record: bad `\(member)`") }
        func string(_ member: String) throws(VaultError) -> String {
            guard let value = json[member]?.stringValue else { throw bad(member) }
            return value
        }
        func integer(_ member: String) throws(VaultError) -> Int64 {
            guard let value = json[member]?.numberValue, let exact = Int64(exactly: value) else { throw bad(member) }
            return exact
        }
        guard json["type"]?.stringValue == Self.recordType, let version = json["v"]?.numberValue, version == 1 || version == 2
        else { throw bad("type") }
        guard let purpose = PurposeOfUse(rawValue: try string("purpose")) else { throw bad("purpose") }
        var classes: DataClasses = []
        for code in json["classes"]?.arrayValue ?? [] {
            guard let text = code.stringValue, let dataClass = DataClasses(code: text) else { throw bad("classes") }
            classes.insert(dataClass)
        }
        var ranges: [ClosedRange<Int64>] = []
        for pair in json["ranges"]?.arrayValue ?? [] {
            guard let ends = pair.arrayValue, ends.count == 2, let low = ends[0].numberValue.flatMap(Int64.init(exactly:)),
                  let high = ends[1].numberValue.flatMap(Int64.init(exactly:)), low <= high else { throw bad("ranges") }
            ranges.append(low...high)
        }
        let channel: Channel
        switch try string("channel") {
        case "sink": channel = .sink(try string("sink"))
        case "export": channel = .export
        default: throw bad("channel")
        }
        let basis: ConsentDecision.Basis
        switch try string("basis") {
        case "patient_consent":
            var versions: [ConsentVersion] = []
            for entry in json["consent"]?.arrayValue ?? [] {
                guard let id = entry["id"]?.stringValue,
                      let version = entry["version"]?.numberValue.flatMap(UInt64.init(exactly:)) else { throw bad("consent") }
                versions.append(ConsentVersion(recordID: id, version: version))
            }
            basis = .patientConsent(versions)
        case "default_policy": basis = .defaultPolicy
        case "break_glass": basis = .breakGlass
        default: throw bad("basis")
        }
        guard let count = Int(exactly: try integer("count")), count >= 0 else { throw bad("count") }
        let disclosedAt = try integer("disclosed_at")
        var firstDisclosedAt = disclosedAt
        var exact = true
        if version == 2 {
            firstDisclosedAt = try integer("first_disclosed_at")
            guard firstDisclosedAt <= disclosedAt else { throw bad("first_disclosed_at") }
            guard case .bool(let flag)? = json["ranges_exact"] else { throw bad("ranges_exact") }
            exact = flag
        }
        self.init(patient: try string("patient"), recipient: try string("recipient"), channel: channel, purpose: purpose,
                  basis: basis, classes: classes, recordRanges: ranges, count: count, disclosedAt: disclosedAt,
                  firstDisclosedAt: firstDisclosedAt, rangesExact: exact)
    }
}
