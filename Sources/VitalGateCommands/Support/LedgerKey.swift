import Cryptography
import EVMLightClient
import Secp256k1
import Vault

/// The gateway's secp256k1 ledger key, which signs anchor transactions on EVM chains. Derived
/// from the identity seed in the key file (domain-separated, like the log key), so the key file
/// stays the one secret to back up; its address is what an operator funds and pins.
enum LedgerKey {
    static func derive(from keys: any KeyStore) throws -> PrivateKey {
        var material = SHA256.hash(Array("vitalgate-ledger-key-v1".utf8) + keys.signingKeySeed)
        // A SHA-256 output is a valid secp256k1 scalar except with probability ~2^-128.
        for _ in 0..<4 {
            if let key = try? PrivateKey(rawRepresentation: material) { return key }
            material = SHA256.hash(material)
        }
        return try PrivateKey(rawRepresentation: material)
    }

    static func address(from keys: any KeyStore) throws -> EthereumAddress {
        try derive(from: keys).publicKey.ethereumAddress
    }
}
