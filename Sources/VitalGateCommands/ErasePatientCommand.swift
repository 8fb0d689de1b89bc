public import ArgumentParser
import FoundationEssentials
import Vault

/// `vitalgate erase-patient PATIENT --by NAME --yes`.
public struct ErasePatientCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "erase-patient",
        abstract: "Crypto-erase a patient: their readings become unreadable; every proof still verifies.",
        discussion: "A running agent picks the erasure up within about 5 s and drops the key and detector state it holds.")

    @Argument(help: "Patient identifier as paired (e.g. MRN-00012345).") var patient: String
    @Option(name: .long, help: "Who requests the erasure (recorded in the event).") var by: String
    @Flag(name: .long, help: "Confirm: this cannot be undone.") var yes = false
    @OptionGroup var agent: AgentOptions

    public init() {}

    public func run() throws {
        guard yes else { throw ValidationError("erasure cannot be undone; pass --yes to confirm") }
        let config = try agent.resolve()
        let vault = try DataPaths(config.gateway.dataDirectory).openVault()
        let record = try vault.erasePatient(patient, by: by, at: Int64(Date().timeIntervalSince1970 * 1000))
        print("erased pseudonym \(record.pseudonym): \(record.readings) readings can no longer be decrypted")
    }
}
