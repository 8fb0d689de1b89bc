import Cryptography
public import Sealing
import SQLite
import Telemetry
public import Transparency

/// How this vault seals: the gateway id written in batch headers and the batch policy.
public struct SealingConfiguration: Sendable {
    public var gatewayID: String
    public var policy: BatchPolicy
    public var configVersion: String

    public init(gatewayID: String, policy: BatchPolicy = .bedsideDefault, configVersion: String = "vitalgate-1") {
        self.gatewayID = gatewayID
        self.policy = policy
        self.configVersion = configVersion
    }

    /// The embedded log's origin line (also the log key's name).
    public var origin: String { "vitalgate.gateway/\(gatewayID)" }
}

extension Vault {
    /// The log key: derived from the identity seed (domain-separated), so the key file stays one secret.
    static func logKey(from seed: [UInt8]) throws(VaultError) -> Ed25519.PrivateKey {
        do { return try Ed25519.PrivateKey(rawRepresentation: SHA256.hash(Array("vitalgate-log-key-v1".utf8) + seed)) } catch {
            throw VaultError(.crypto, "cannot derive the log key", underlying: error)
        }
    }

    var identityKey: Ed25519.PrivateKey {
        get throws(VaultError) {
            do { return try Ed25519.PrivateKey(rawRepresentation: keys.signingKeySeed) } catch {
                throw VaultError(.crypto, "the identity key in the key file is invalid", underlying: error)
            }
        }
    }

    /// Turns sealing on: readings stored from now on are sealed in signed batches, and readings a
    /// crash left unsealed are sealed at once (`recovery`). Returns the number of batches sealed.
    @discardableResult
    public func enableSealing(_ configuration: SealingConfiguration, now: Int64) throws(VaultError) -> Int {
        let identity = try identityKey
        let logSigner: NoteSigner
        do { logSigner = try NoteSigner(name: configuration.origin, privateKey: try Self.logKey(from: keys.signingKeySeed)) } catch {
            throw VaultError(.crypto, "cannot create the log signer", underlying: error)
        }
        return try sealingLog.enable(configuration, identityKey: identity, logSigner: logSigner,
                                     log: try logStore().frontier(), now: now)
    }

    /// Feeds the batch timer; seals what is due. Returns the number of batches sealed.
    @discardableResult
    public func sealingTick(now: Int64) throws(VaultError) -> Int {
        try adoptForeignRecords(at: now)  // disclosures delivery workers recorded (Vault+Disclosures)
        return try sealingLog.handle(.tick(at: now), now: now)
    }

    /// Seals everything still open (clean shutdown), with the sealed records other connections
    /// committed since this vault last wrote.
    @discardableResult
    public func sealAll(now: Int64) throws(VaultError) -> Int {
        try adoptForeignRecords(at: now)
        return try sealingLog.handle(.shutdown(at: now), now: now)
    }

    /// Sealing attempts that failed after a committed store (rows were left for the next try).
    public var sealingFailures: Int { sealingLog.failures }

    /// Batches sealed from the commitments held in memory rather than read back (for tests).
    var batchesSealedFromCache: Int { sealingLog.batchesSealedFromCache }

    /// The latest signed checkpoint (C2SP signed note), if any batch was sealed.
    public var latestCheckpoint: String? { sealingLog.latestCheckpoint }

    /// What an auditor pins to verify this gateway's bundles offline (and, optionally, the
    /// witnesses and how many of them must have cosigned).
    public func trustAnchors(gatewayID: String, witnesses: [VerifierKey] = [], minimumCosignatures: Int = 0)
        throws(VaultError) -> TrustAnchors {
        let configuration = sealingLog.configuration ?? SealingConfiguration(gatewayID: gatewayID)
        do {
            let signer = try NoteSigner(name: configuration.origin, privateKey: try Self.logKey(from: keys.signingKeySeed))
            return try TrustAnchors(gatewayKey: try identityKey.publicKey, gatewayID: configuration.gatewayID,
                                    logOrigin: configuration.origin, logKey: signer.verifierKey,
                                    witnessKeys: witnesses, minimumCosignatures: minimumCosignatures)
        } catch {
            throw VaultError(.crypto, "cannot build the trust anchors", underlying: error)
        }
    }

    /// The log's C2SP verifier key for `gatewayID`, derived from the key file (no vault needed).
    public static func logVerifierKey(keys: any KeyStore, gatewayID: String) throws(VaultError) -> VerifierKey {
        do {
            return try NoteSigner(name: SealingConfiguration(gatewayID: gatewayID).origin,
                                  privateKey: try logKey(from: keys.signingKeySeed)).verifierKey
        } catch {
            throw VaultError(.crypto, "cannot derive the log verifier key", underlying: error)
        }
    }

    /// Puts new batch limits in force for the running agent (a fleet configuration change). The
    /// open batch carries over and closes under the new limits.
    public func updateSealingPolicy(_ policy: BatchPolicy) {
        sealingLog.changePolicy(policy)
    }
}
