public import ArgumentParser
import FoundationEssentials
import Telemetry
import Vault

/// `vitalgate audit [--json]`: re-derive everything sealed; exit 1 naming each altered row.
public struct AuditCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Re-derive commitments, digests, batch roots, header signatures and chain, log, checkpoints and anchor "
            + "evidence; authenticate encrypted rows; "
            + "report altered, deleted or inserted rows.")

    @Flag(name: .long, help: "Print one JSON object.") var json = false
    @OptionGroup var agent: AgentOptions

    public init() {}

    public func run() throws {
        let config = try agent.resolve()
        let paths = DataPaths(config.gateway.dataDirectory)
        let vault = try paths.openVault()
        let anchorCheck = try AnchorChecks.audit(config, trust: try vault.trustAnchors(gatewayID: config.gateway.id),
                                                 keyFile: paths.keyFile)
        let report = try vault.audit(gatewayID: config.gateway.id, anchorCheck: anchorCheck)
        if json {
            print(JSONWriter.canonicalString(.object([
                ("passed", .bool(report.passed)),
                ("readings_checked", .number(Double(report.readingsChecked))),
                ("readings_erased", .number(Double(report.readingsErased))),
                ("readings_pruned", .number(Double(report.readingsPruned))),
                ("readings_compacted", .number(Double(report.readingsCompacted))),
                ("batches_checked", .number(Double(report.batchesChecked))),
                ("checkpoints_checked", .number(Double(report.checkpointsChecked))),
                ("anchors_checked", .number(Double(report.anchorsChecked))),
                ("patient_states_checked", .number(Double(report.patientStatesChecked))),
                ("disclosures_checked", .number(Double(report.disclosuresChecked))),
                ("findings", .array(report.findings.map {
                    .object([("table", .string($0.table)), ("row", .number(Double($0.row))), ("problem", .string($0.problem))])
                })),
            ])))
        } else {
            print("checked \(report.readingsChecked) readings (\(report.readingsErased) erased, \(report.readingsPruned) pruned), "
                  + "\(report.readingsCompacted) in compacted batches, "
                  + "\(report.batchesChecked) batches, \(report.checkpointsChecked) checkpoints, "
                  + "\(report.anchorsChecked) anchors, \(report.patientStatesChecked) patient states, "
                  + "\(report.disclosuresChecked) disclosures")
            for finding in report.findings { print("FAIL  \(finding)") }
            print(report.passed ? "OK: nothing altered, deleted or inserted" : "FAIL: \(report.findings.count) findings")
        }
        if !report.passed { throw ExitCode(1) }
    }
}
