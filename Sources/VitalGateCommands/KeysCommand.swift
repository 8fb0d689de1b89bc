public import ArgumentParser
import Cryptography
import FoundationEssentials
import Telemetry
import Vault

/// `vitalgate keys init|show`.
public struct KeysCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create or show the gateway's keys.",
        subcommands: [Init.self, Show.self, TrustCommand.self])

    public init() {}

    public struct Init: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Create the key file (key-encryption key, pseudonym key, Ed25519 identity), mode 0600.")

        @Option(name: .long, help: "Data directory.") var dataDir = "data"
        @Option(name: .long, help: "Key file path (default: <data-dir>/keys/gateway.keys).") var keyFile: String?

        public init() {}

        public func run() throws {
            let paths = DataPaths(dataDir)
            let path = keyFile ?? paths.keyFile
            let keys = try FileKeyStore.initialize(path: path)
            let publicKey = try Ed25519.PrivateKey(rawRepresentation: keys.signingKeySeed).publicKey
            print("created \(path) (mode 0600)")
            print("gateway identity (Ed25519 public key): \(publicKey.rawRepresentation.hexString)")
            print("keep a backup of this file somewhere safe: without it the vault cannot be read")
        }
    }

    public struct Show: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Print the gateway's public identity key (or, with --ledger-address, the address that signs anchors).")

        @Option(name: .long, help: "Data directory.") var dataDir = "data"
        @Option(name: .long, help: "Key file path (default: <data-dir>/keys/gateway.keys).") var keyFile: String?
        @Flag(name: .long, help: "Print the EVM address of the gateway's ledger key (fund it to anchor on a chain).")
        var ledgerAddress = false

        public init() {}

        public func run() throws {
            let keys = try FileKeyStore.load(path: keyFile ?? DataPaths(dataDir).keyFile)
            if ledgerAddress {
                print(try LedgerKey.address(from: keys).checksummed)
                return
            }
            let publicKey = try Ed25519.PrivateKey(rawRepresentation: keys.signingKeySeed).publicKey
            print(publicKey.rawRepresentation.hexString)
        }
    }
}
