import Cryptography
import EVMLightClient
import ErrorSupport
import Foundation
import Ledger
import MQTT
import SQLite
import Schemas
import Sealing
import Secp256k1
import Simulator
import Testing
import Transparency
import Vault
import VitalGateCommands

/// Pins what each module's error prints and exposes: descriptions reach logs, CLI output and
/// tests, and code names are stable identifiers. Sharing the error scaffold must not change them.
@Suite("Module error descriptions and codes")
struct ErrorDescriptionTests {
    struct Cause: Error, CustomStringConvertible {
        var description: String { "disk on fire" }
    }

    @Test func cryptoError() {
        let plain = CryptoError(code: .invalidLength, reason: "tag is 3 bytes", file: "Cryptography/A.swift", line: 7)
        #expect(plain.description == "CryptoError.invalidLength: tag is 3 bytes (at Cryptography/A.swift:7)")
        #expect(plain.file == "Cryptography/A.swift" && plain.line == 7 && plain.openSSLErrors.isEmpty)
        let openSSL = CryptoError(code: .openSSLFailure, reason: "EVP_EncryptInit_ex", openSSLErrors: "e1; e2",
                                  file: "Cryptography/A.swift", line: 9)
        #expect(openSSL.description
            == "CryptoError.openSSLFailure: EVP_EncryptInit_ex [OpenSSL: e1; e2] (at Cryptography/A.swift:9)")
        let codes: [CryptoError.Code] = [
            .invalidKeyLength, .invalidNonceLength, .invalidLength, .authenticationFailure, .openSSLFailure,
        ]
        #expect(codes.map(\.description)
            == ["invalidKeyLength", "invalidNonceLength", "invalidLength", "authenticationFailure", "openSSLFailure"])
        #expect(Set(codes).count == codes.count && codes[2] == .invalidLength)
    }

    @Test func lightClientAndRLPErrors() {
        let rlp = RLPError(.truncated, offset: 3, "list runs past the input", file: "EVMLightClient/R.swift", line: 9)
        #expect(rlp.description == "RLPError.truncated at byte 3: list runs past the input (EVMLightClient/R.swift:9)")
        #expect(rlp.offset == 3 && rlp.reason == "list runs past the input" && rlp.line == 9)
        let item = RLPError(.wrongLength, "hash is not 32 bytes", file: "EVMLightClient/R.swift", line: 4)
        #expect(item.description == "RLPError.wrongLength: hash is not 32 bytes (EVMLightClient/R.swift:4)")
        let plain = LightClientError(.proofHashMismatch, "node 2", file: "EVMLightClient/T.swift", line: 5)
        #expect(plain.description == "LightClientError.proofHashMismatch: node 2 (EVMLightClient/T.swift:5)")
        #expect(plain.underlying == nil && plain.file == "EVMLightClient/T.swift")
        let caused = LightClientError(.malformedHeader, "header", underlying: rlp, file: "EVMLightClient/H.swift", line: 6)
        #expect(caused.description == "LightClientError.malformedHeader: header (EVMLightClient/H.swift:6)"
            + "; caused by RLPError.truncated at byte 3: list runs past the input (EVMLightClient/R.swift:9)")
        #expect(caused.underlying?.code == .truncated)

        let rlpCodes: [RLPError.Code] = [
            .truncated, .trailingBytes, .nonCanonicalSingleByte, .leadingZeroInLength, .nonCanonicalLongForm,
            .lengthOverflow, .depthLimitExceeded, .unexpectedType, .nonCanonicalInteger, .integerOverflow,
            .wrongLength, .wrongItemCount,
        ]
        #expect(rlpCodes.map(\.rawValue) == [
            "truncated", "trailingBytes", "nonCanonicalSingleByte", "leadingZeroInLength", "nonCanonicalLongForm",
            "lengthOverflow", "depthLimitExceeded", "unexpectedType", "nonCanonicalInteger", "integerOverflow",
            "wrongLength", "wrongItemCount",
        ])
        let lightCodes: [LightClientError.Code] = [
            .invalidRoot, .proofHashMismatch, .proofMissingNode, .proofUnusedNodes, .malformedProofNode,
            .malformedHeader, .malformedBlock, .malformedReceipt, .malformedExtraData, .invalidAddress,
            .invalidSignature, .malformedTransaction, .unsupportedTransactionType, .signingFailed,
            .invalidValidatorSet, .duplicateSeal, .sealByNonValidator, .insufficientSeals,
        ]
        #expect(lightCodes.map(\.description) == [
            "invalidRoot", "proofHashMismatch", "proofMissingNode", "proofUnusedNodes", "malformedProofNode",
            "malformedHeader", "malformedBlock", "malformedReceipt", "malformedExtraData", "invalidAddress",
            "invalidSignature", "malformedTransaction", "unsupportedTransactionType", "signingFailed",
            "invalidValidatorSet", "duplicateSeal", "sealByNonValidator", "insufficientSeals",
        ])
        #expect(LightClientError.Code(rawValue: "insufficientSeals") == .insufficientSeals)
        #expect(RLPError.Code(rawValue: "truncated") == .truncated)
    }

    @Test func ledgerError() {
        let full = LedgerError(code: .invalidEvidence, reason: "signature does not verify", step: "signature",
                               underlying: Cause(), file: "Ledger/L.swift", line: 3)
        #expect(full.description == "ledger error (invalidEvidence) at step signature: signature does not verify (disk on fire)")
        #expect(full.step == "signature" && full.underlying is Cause && full.file == "Ledger/L.swift" && full.line == 3)
        let bare = LedgerError(code: .unavailable, reason: "node down")
        #expect(bare.description == "ledger error (unavailable): node down")
        #expect(bare.step == nil && bare.underlying == nil)
        let codes: [LedgerError.Code] = [
            .invalidRequest, .unavailable, .tls, .malformedResponse, .rejected, .untrustworthyNode, .invalidEvidence,
            .invalidConfiguration,
        ]
        #expect(codes.map(\.description) == [
            "invalidRequest", "unavailable", "tls", "malformedResponse", "rejected", "untrustworthyNode", "invalidEvidence",
            "invalidConfiguration",
        ])
    }

    @Test func mqttSchemaAndSQLiteErrors() {
        let mqtt = MQTTError(code: 7, operation: "connect", reason: "connection lost", fileID: "MQTT/C.swift", line: 2)
        #expect(mqtt.description == "MQTT connect failed (7): connection lost")
        #expect(mqtt.sourceLocation == "MQTT/C.swift:2")
        let schema = SchemaError(file: "cuff.json", "fields must be a non-empty array", fileID: "Schemas/S.swift", line: 8)
        #expect(schema.description == "firmware schema cuff.json: fields must be a non-empty array")
        #expect(schema.sourceLocation == "Schemas/S.swift:8" && schema.file == "cuff.json")
        let sqlite = SQLiteError(extendedCode: 2067, message: "UNIQUE constraint failed: t.x", operation: "step INSERT",
                                 file: "SQLite/S.swift", line: 4)
        #expect(sqlite.description
            == "SQLiteError(19/2067 constraint failed) in step INSERT: UNIQUE constraint failed: t.x (at SQLite/S.swift:4)")
        #expect(sqlite.file == "SQLite/S.swift" && sqlite.line == 4 && sqlite.extendedCode == .constraintUnique)
    }

    @Test func sealingAndTransparencyErrors() {
        let sealing = SealingError(code: .invalidLength, reason: "salt is 3 bytes", file: "Sealing/S.swift", line: 5)
        #expect(sealing.description == "SealingError.invalidLength: salt is 3 bytes (at Sealing/S.swift:5)")
        #expect(sealing.underlying == nil && sealing.file == "Sealing/S.swift" && sealing.line == 5)
        let wrapped = SealingError(code: .proofFailure, reason: "no proof", underlying: Cause(), file: "Sealing/S.swift", line: 6)
        #expect(wrapped.description == "SealingError.proofFailure: no proof [underlying: disk on fire] (at Sealing/S.swift:6)")
        let merkle = MerkleProofError(code: .storeFailure, reason: "leaf 4", underlying: Cause(),
                                      file: "Transparency/M.swift", line: 1)
        #expect(merkle.description
            == "MerkleProofError.storeFailure: leaf 4 [underlying: disk on fire] (at Transparency/M.swift:1)")
        #expect(merkle.underlying is Cause && merkle.reason == "leaf 4")
        let note = NoteError(code: .wrongOrigin, reason: "origin differs", file: "Transparency/N.swift", line: 2)
        #expect(note.description == "NoteError.wrongOrigin: origin differs (at Transparency/N.swift:2)")

        let sealingCodes: [SealingError.Code] = [
            .invalidLength, .invalidPolicy, .invalidHeader, .malformedHeader, .signingFailure, .invalidSignature,
            .malformedBundle, .malformedTrust, .unsupportedVersion, .unknownReading, .notYetProvable, .proofFailure,
        ]
        #expect(sealingCodes.map(\.description) == [
            "invalidLength", "invalidPolicy", "invalidHeader", "malformedHeader", "signingFailure", "invalidSignature",
            "malformedBundle", "malformedTrust", "unsupportedVersion", "unknownReading", "notYetProvable", "proofFailure",
        ])
        let merkleCodes: [MerkleProofError.Code] = [
            .wrongProofSize, .indexBeyondSize, .rootMismatch, .size1GreaterThanSize2, .emptyTreeConsistency,
            .malformedHash, .treeSizeBeyondTree, .storeFailure,
        ]
        #expect(merkleCodes.map(\.description) == [
            "wrongProofSize", "indexBeyondSize", "rootMismatch", "size1GreaterThanSize2", "emptyTreeConsistency",
            "malformedHash", "treeSizeBeyondTree", "storeFailure",
        ])
        let noteCodes: [NoteError.Code] = [
            .malformedNote, .tooLarge, .invalidKeyName, .invalidVerifierKey, .duplicateVerifier, .invalidSignature,
            .noKnownSignature, .malformedCheckpoint, .wrongOrigin, .missingLogSignature, .malformedCosignature,
            .signingFailure,
        ]
        #expect(noteCodes.map(\.description) == [
            "malformedNote", "tooLarge", "invalidKeyName", "invalidVerifierKey", "duplicateVerifier", "invalidSignature",
            "noKnownSignature", "malformedCheckpoint", "wrongOrigin", "missingLogSignature", "malformedCosignature",
            "signingFailure",
        ])
    }

    @Test func secp256k1AndSimulatorErrors() {
        let secp = Secp256k1Error(.invalidPrivateKey, "key is zero", file: "Secp256k1/K.swift", line: 3)
        #expect(secp.description == "Secp256k1Error.invalidPrivateKey: key is zero (Secp256k1/K.swift:3)")
        #expect(secp.file == "Secp256k1/K.swift" && secp.line == 3 && secp.reason == "key is zero")
        let secpCodes: [Secp256k1Error.Code] = [
            .invalidPrivateKey, .invalidPublicKey, .invalidSignature, .invalidHashLength, .recoveryFailed, .signingFailed,
        ]
        #expect(secpCodes.map(\.rawValue) == [
            "invalidPrivateKey", "invalidPublicKey", "invalidSignature", "invalidHashLength", "recoveryFailed", "signingFailed",
        ])
        #expect(Secp256k1Error.Code(rawValue: "recoveryFailed") == .recoveryFailed)

        let simulator = SimulatorError(.unknownFault, "no fault named x", file: "Simulator/F.swift", line: 4)
        #expect(simulator.description == "unknown-fault: no fault named x")
        #expect(simulator.file == "Simulator/F.swift" && simulator.line == 4)
        #expect(simulator == SimulatorError(.unknownFault, "no fault named x", file: "Simulator/F.swift", line: 4))
        #expect(simulator != SimulatorError(.unknownFault, "no fault named x", file: "Simulator/F.swift", line: 5))
        #expect(simulator != SimulatorError(.invalidConfiguration, "no fault named x", file: "Simulator/F.swift", line: 4))
        #expect([SimulatorError.Code.unknownFault, .invalidConfiguration].map(\.rawValue)
            == ["unknown-fault", "invalid-configuration"])
        #expect(SimulatorError.Code(rawValue: "unknown-fault") == .unknownFault)
    }

    @Test func vaultError() {
        let vault = VaultError(.keyFile, "key file unreadable", underlying: Cause(), fileID: "Vault/K.swift", line: 9)
        #expect(vault.description == "vault key_file: key file unreadable (disk on fire)")
        #expect(vault.sourceLocation == "Vault/K.swift:9" && vault.underlying is Cause)
        #expect(VaultError(.erased, "gone").description == "vault erased: gone")
        let codes: [VaultError.Code] = [
            .storage, .crypto, .keyFile, .migration, .corruptRow, .erased, .notFound, .rejected, .inUse,
            .keyFileMissing, .permissions,
        ]
        #expect(codes.map(\.rawValue)
            == ["storage", "crypto", "key_file", "migration", "corrupt_row", "erased", "not_found", "rejected", "in_use",
                "key_file_missing", "permissions"])
        #expect(codes.map(\.description) == codes.map(\.rawValue))
        #expect(VaultError.Code(rawValue: "in_use") == .inUse)
    }

    @Test func configError() {
        let located = ConfigError(.unknownKey, line: 2, key: "mqtt.x", path: "a.conf", "unknown key",
                                  fileID: "VitalGateCommands/C.swift", sourceLine: 6)
        #expect(located.description == "a.conf:2: mqtt.x: unknown key")
        #expect(located.sourceLocation == "VitalGateCommands/C.swift:6")
        #expect(located == ConfigError(.unknownKey, line: 2, key: "mqtt.x", path: "a.conf", "unknown key",
                                       fileID: "VitalGateCommands/C.swift", sourceLine: 6))
        #expect(located != ConfigError(.unknownKey, line: 2, key: "mqtt.x", path: "a.conf", "unknown key",
                                       fileID: "VitalGateCommands/C.swift", sourceLine: 7))
        #expect(ConfigError(.missingValue, line: 4, "nothing after =").description == "line 4: nothing after =")
        #expect(ConfigError(.unreadableFile, path: "b.conf", "not UTF-8").description == "b.conf: not UTF-8")
        #expect(ConfigError(.invalidSetting, key: "--gateway", "empty").description == "--gateway: empty")
        let codes: [ConfigError.Code] = [
            .unreadableFile, .invalidSectionHeader, .invalidKey, .expectedEquals, .missingValue, .invalidValue,
            .unterminatedString, .invalidEscape, .unterminatedArray, .trailingCharacters, .duplicateKey,
            .duplicateSection, .unknownSection, .unknownKey, .wrongType, .invalidSetting, .missingFile,
            .permissionDenied, .cannotCreate,
        ]
        #expect(codes.map(\.rawValue) == [
            "unreadable-file", "invalid-section-header", "invalid-key", "expected-equals", "missing-value",
            "invalid-value", "unterminated-string", "invalid-escape", "unterminated-array", "trailing-characters",
            "duplicate-key", "duplicate-section", "unknown-section", "unknown-key", "wrong-type", "invalid-setting",
            "missing-file", "permission-denied", "cannot-create",
        ])
        #expect(ConfigError.Code(rawValue: "wrong-type") == .wrongType)
    }

    /// A Foundation file-system error behind a module error reads as the C library's text, never
    /// as `CocoaError(code: …, userInfo: …)`.
    @Test func foundationFileErrorsAreGivenInTheCLibrarysWords() throws {
        let cocoa = try #require(throws: CocoaError.self) {
            try FileManager.default.contentsOfDirectory(atPath: "/nonexistent-vitalgate")
        }
        #expect(SystemErrorText.errorNumber(of: cocoa) == ENOENT)
        #expect(SystemErrorText.describe(cocoa) == "No such file or directory")
        #expect(SystemErrorText.describe(POSIXError(.EACCES)) == "Permission denied")
        #expect(SystemErrorText.describe(CocoaError(.fileReadUnknown)) == "file system error 256")
        #expect(SystemErrorText.describe(Cause()) == "disk on fire")
        #expect(SystemErrorText.isPermission(EACCES) && SystemErrorText.isPermission(EROFS))
        #expect(!SystemErrorText.isPermission(ENOENT) && !SystemErrorText.isPermission(nil))
        #expect(VaultError(.keyFile, "cannot create the key directory d", underlying: cocoa).description
            == "vault key_file: cannot create the key directory d (No such file or directory)")
        #expect(SealingError(code: .proofFailure, reason: "no proof", underlying: cocoa, file: "Sealing/S.swift", line: 6)
            .description == "SealingError.proofFailure: no proof [underlying: No such file or directory] (at Sealing/S.swift:6)")
    }
}
