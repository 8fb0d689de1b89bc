public import ArgumentParser
import Cryptography
import Fleet
import FoundationEssentials
import Telemetry

/// `vitalgate fleet keygen --name NAME [--out DIR]`: a new operator signing key.
public struct FleetKeygenCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Create an operator Ed25519 key: NAME.key (secret, mode 0600) and NAME.pub.json (to pin on gateways).")

    @Option(name: .long, help: "Operator name (A-Z a-z 0-9 . _ -); audit only, never used for trust.") var name: String
    @Option(name: .long, help: "Directory to write the key files to.") var out = "."

    public init() {}

    public func validate() throws {
        guard AgentConfig.isTopicLevel(name) else { throw ValidationError("--name must be 1-64 characters of A-Z a-z 0-9 . _ -") }
    }

    public func run() throws {
        let secretPath = FilePaths.join(out, "\(name).key")
        let publicPath = FilePaths.join(out, "\(name).pub.json")
        for path in [secretPath, publicPath] where FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(path) exists; refusing to overwrite a key")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let key = Ed25519.PrivateKey()
        let seed = key.rawRepresentation.hexString + "\n"
        guard FileManager.default.createFile(atPath: secretPath, contents: Data(seed.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(secretPath)")
        }
        let pinned = OperatorKey(name: name, publicKey: key.publicKey)
        let publicJSON = JSONWriter.canonicalString(.object([
            ("name", .string(name)), ("public_key", .string(key.publicKey.rawRepresentation.hexString)),
            ("key_id", .string(pinned.keyID)),
        ]))
        try Data((publicJSON + "\n").utf8).write(to: URL(fileURLWithPath: publicPath))
        print("created \(secretPath) (mode 0600: keep it offline) and \(publicPath)")
        print(publicJSON)
    }

    /// Loads a key file written by `keygen`: the operator name is the file name without `.key`.
    static func loadSigner(path: String) throws -> ConfigSigner {
        guard let data = FileManager.default.contents(atPath: path),
              let text = String(data: data, encoding: .utf8),
              let seed = [UInt8](hex: String(text.filter { !$0.isWhitespace })), seed.count == 32 else {
            throw ValidationError("\(path) is not an operator key file (64 hex digits)")
        }
        let name = FilePaths.stem(of: path)
        return ConfigSigner(name: name, privateKey: try Ed25519.PrivateKey(rawRepresentation: seed))
    }
}
