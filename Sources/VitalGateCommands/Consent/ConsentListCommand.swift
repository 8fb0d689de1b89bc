public import ArgumentParser
import Consent
import ConsentDocuments
import FoundationEssentials
import Telemetry
import Vault

/// `vitalgate consent list --patient P [--json]`: the patient's consent records stored in the
/// local vault (what the agent loads into its book at start), newest version of each.
public struct ConsentListCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List a patient's consent records stored in this gateway's vault.")

    @Option(name: .long, help: "Patient identifier (e.g. MRN-00012345).") var patient: String
    @Flag(name: .long, help: "Print the records as one JSON array of FHIR Consent resources with their version.")
    var json = false
    @OptionGroup var agent: AgentOptions

    public init() {}

    public func run() throws {
        let config = try agent.resolve()
        let vault = try DataPaths(config.gateway.dataDirectory).openVault()
        var documents: [ConsentDocument] = []
        for stored in try vault.consentDocuments(patient: patient) {
            documents.append(try SignedConsent(bytes: stored.envelope).document)
        }
        documents.sort { $0.record.id < $1.record.id }
        if json {
            print(JSONWriter.canonicalString(.array(documents.map {
                .object([("version", .number(Double($0.version))), ("expires", .number(Double($0.expires))),
                         ("consent", FHIRConsent.json($0.record, patientSystem: $0.patientSystem))])
            })))
            return
        }
        guard !documents.isEmpty else {
            print("(no consent record for this patient in this vault)")
            return
        }
        for document in documents {
            let record = document.record
            var signer = "-"
            if case .document(let keyID) = record.source { signer = keyID }
            print("\(record.id)  version \(record.version)  \(record.status.rawValue)  issued "
                  + "\(UTCTimestamp.iso8601(milliseconds: record.issuedAt))  signed by \(signer)")
            print(Self.describe(record.provision, indent: "  "), terminator: "")
        }
    }

    /// One line per rule, nested rules indented.
    static func describe(_ provision: ConsentProvision, indent: String) -> String {
        var parts = [provision.type.rawValue]
        if !provision.actors.isEmpty { parts.append("to " + provision.actors.sorted().joined(separator: ",")) }
        if !provision.purposes.isEmpty { parts.append("for " + provision.purposes.sorted().map(\.rawValue).joined(separator: ",")) }
        if !provision.classes.isEmpty { parts.append("classes " + provision.classes.description) }
        if provision.period != .always { parts.append("disclosed " + period(provision.period)) }
        if provision.dataPeriod != .always { parts.append("data " + period(provision.dataPeriod)) }
        var text = indent + parts.joined(separator: " ") + "\n"
        for nested in provision.provisions { text += describe(nested, indent: indent + "  ") }
        return text
    }

    private static func period(_ period: ConsentPeriod) -> String {
        (period.start.map { UTCTimestamp.iso8601(milliseconds: $0) } ?? "…") + " to "
            + (period.end.map { UTCTimestamp.iso8601(milliseconds: $0) } ?? "…")
    }
}
