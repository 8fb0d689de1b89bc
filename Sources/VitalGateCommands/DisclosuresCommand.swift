public import ArgumentParser
import Consent
import Sealing
import Telemetry
import Vault

/// `vitalgate disclosures --patient P [--json] [--since T]`: the patient's accounting of
/// disclosures, from the vault's sealed disclosure log.
public struct DisclosuresCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "disclosures",
        abstract: "List who received a patient's data, what and when (the sealed disclosure log).",
        discussion: """
            One line per disclosure, oldest first: when, the record id (`vitalgate prove --disclosure ID` \\
            writes its proof bundle), the sink or export and the recipient, the purpose, the data classes, \\
            the number of records and their ids, and the consent it rested on. Break-glass access is flagged \\
            BREAK-GLASS. After the patient's erasure their disclosures are listed as erased (their content went \\
            with the patient's key; the proofs still verify). A sink's deliveries of one patient within \\
            `[consent] disclosure_window_seconds` are one record, sealed when the window ends; until then they are \\
            listed as open (JSON: `open`), with the time by which they are sealed. --since takes ms since the epoch \\
            or RFC 3339.
            """)

    @Option(name: .long, help: "Patient identifier (e.g. MRN-00012345).") var patient: String
    @Option(name: .long, help: "Only disclosures from this time on (inclusive).") var since: String?
    @Flag(name: .long, help: "Print JSON.") var json = false
    @OptionGroup var agent: AgentOptions

    public init() {}

    public func run() throws {
        let since = try ExportCommand.parseTime(since)
        let config = try agent.resolve()
        let paths = DataPaths(config.gateway.dataDirectory)
        try paths.requireVault()
        let vault = try paths.openVault()
        let entries = try vault.disclosures(patient: patient, since: since)
        let windowMs = Int64(config.enforcement.disclosureWindowSeconds) * 1000
        let open = try vault.openDisclosures(patient: patient).filter { $0.disclosure.disclosedAt >= since ?? .min }
        if json {
            print(JSONWriter.canonicalString(.object([
                ("patient", .string(patient)), ("disclosures", .array(entries.map(\.json))),
                ("open", .array(open.map { Self.openJSON($0, windowMs: windowMs) })),
            ])))
            return
        }
        print("\(entries.count) disclosure\(entries.count == 1 ? "" : "s") of \(patient)'s data"
              + (open.isEmpty ? "" : ", and \(open.count) open (sealed when the window ends)"))
        for entry in entries { print(Self.line(entry)) }
        for aggregate in open { print(Self.openLine(aggregate, windowMs: windowMs)) }
    }

    /// An open aggregate as JSON: the disclosure's members, `sink`'s, `opened_at`, and
    /// `sealed_by` (when its window ends; a sink removed meanwhile is sealed at the next start).
    static func openJSON(_ open: Vault.OpenDisclosure, windowMs: Int64) -> JSONValue {
        var members: [(key: String, value: JSONValue)] = [
            ("opened_at", .number(Double(open.openedAt))), ("sealed_by", .number(Double(open.openedAt + windowMs))),
            ("break_glass", .bool(open.disclosure.isBreakGlass)),
        ]
        for member in open.disclosure.recordJSON.objectValue ?? [] where !["type", "v", "patient"].contains(member.key) {
            members.append(member)
        }
        return .object(members)
    }

    /// An open aggregate as text: as a sealed entry, with its window instead of a record id.
    static func openLine(_ open: Vault.OpenDisclosure, windowMs: Int64) -> String {
        let window = "open since " + UTCTimestamp.iso8601(milliseconds: open.openedAt) + ", sealed by "
            + UTCTimestamp.iso8601(milliseconds: open.openedAt + windowMs)
        return line(DisclosureEntry(recordID: 0, at: open.disclosure.disclosedAt, disclosure: open.disclosure, sealed: true),
                    label: window)
    }

    /// What `verify` adds for a bundle that verifies and whose record is a disclosure (its
    /// content is then the one the gateway sealed): the disclosure, as listed. The bytes are the
    /// bundle's, from outside: parsed with the bounded parser, every number range-checked.
    static func provenLine(_ bundle: ProofBundle, _ report: VerificationReport) -> String? {
        guard report.passed, report.step(.commitment)?.status == .pass, let canonical = bundle.reading.canonical,
              let json = try? JSONParser().parse(canonical), json["type"]?.stringValue == "disclosure",
              let disclosure = try? Disclosure(recordJSON: json) else { return nil }
        let entry = DisclosureEntry(recordID: Int64(bundle.reading.id), at: disclosure.disclosedAt, disclosure: disclosure,
                                    sealed: true)
        return "disclosure of \(disclosure.patient)'s data: " + line(entry)
    }

    /// One entry as text.
    static func line(_ entry: DisclosureEntry, label: String? = nil) -> String {
        var parts = [UTCTimestamp.iso8601(milliseconds: entry.at), label ?? "record \(entry.recordID)"]
        if let disclosure = entry.disclosure {
            if disclosure.isBreakGlass { parts.append("BREAK-GLASS") }
            switch disclosure.channel {
            case .sink(let name): parts.append("sink \(name) -> \(disclosure.recipient)")
            case .export: parts.append("export -> \(disclosure.recipient)")
            }
            parts.append(disclosure.purpose.rawValue)
            parts.append(disclosure.classes.codeList.joined(separator: ","))
            let ranges = disclosure.recordRanges.map {  // no `count`: a range from a bundle may span any Int64s
                $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)"
            }
            let within = disclosure.rangesExact ? "ids" : "among ids"
            parts.append("\(disclosure.count) record\(disclosure.count == 1 ? "" : "s") (\(within) \(ranges.joined(separator: ",")))")
            if disclosure.firstDisclosedAt != disclosure.disclosedAt {
                parts.append("first " + UTCTimestamp.iso8601(milliseconds: disclosure.firstDisclosedAt))
            }
            switch disclosure.basis {
            case .patientConsent(let versions): parts.append("consent \(versions.map(\.description).joined(separator: ","))")
            case .defaultPolicy: parts.append("default policy")
            case .breakGlass: parts.append("break-glass policy")
            }
        } else {
            parts.append("erased (content destroyed with the patient's key; its proof still verifies)")
        }
        if !entry.sealed { parts.append("(not sealed yet)") }
        return parts.joined(separator: "  ")
    }
}
