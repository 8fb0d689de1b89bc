import EVMLightClient
import Secp256k1
import Telemetry
import Testing

/// Signed EIP-1559 transactions computed with Python eth-account 0.14.0 (eth-keys 0.8.0, pure
/// Python backend with RFC 6979 nonces, rlp 5.0.0): `TypedTransaction.from_dict(tx).hash()` for the
/// signing hash, `Account.sign_transaction(tx, key)` for `raw_transaction` and `hash`, and
/// `Account.recover_transaction(raw)` for the sender. eth-account was test-time tooling only; its
/// output is pasted here as constants. Both sides use RFC 6979, so the signatures match exactly.
struct TransactionVector: Sendable, CustomTestStringConvertible {
    let name: String
    let key: String
    let sender: String
    let transaction: @Sendable () throws -> EIP1559Transaction
    let signingHash: String
    let raw: String
    let hash: String

    var testDescription: String { name }

    static let all: [TransactionVector] = [
        TransactionVector(
            name: "call with value above 2^64, data and an access list",
            key: "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
            sender: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
            transaction: {
                EIP1559Transaction(
                    chainId: 1337, nonce: 7, maxPriorityFeePerGas: 1_500_000_000, maxFeePerGas: 30_000_000_000,
                    gasLimit: 100_000, to: try EthereumAddress(hex: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
                    value: try Quantity(bigEndian: hex("1a249b1f0565f8c88000")),  // 123456789 * 10^15
                    data: hex("deadbeef00"),
                    accessList: [try AccessListEntry(
                        address: try EthereumAddress(hex: "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"),
                        storageKeys: [hex(String(repeating: "00", count: 31) + "01"),
                                      [UInt8](repeating: 0xAB, count: 32)])])
            },
            signingHash: "fc0e065a5d35974ad37bdf0a8202e3bd787e1308c01c03a94f56b260a8e18df9",
            raw: "02f8d9820539078459682f008506fc23ac00830186a0945aaeb6053f3e94c9b9a09f33669435e7ef1beaed8a1a249b1f0565"
                + "f8c8800085deadbeef00f85bf85994fb6916095ca1df60bb79ce92ce3ea74c37c5d359f842a0000000000000000000000000"
                + "0000000000000000000000000000000000000001a0ababababababababababababababababababababababababababababab"
                + "ababab01a0c851eeada6cf86189fb199d707f3e401ff9f9e54b14b6d603489d7f93de57cbda00c350f01b0b7a535e380813e"
                + "de2abef04cf8e459f9b39d9e84f4e87b8c3fba69",
            hash: "96ad09fafeca15e23d9485fd10a75f48d27cbdfb19dfd68ee87e56f66ff310e5"),
        TransactionVector(
            name: "contract creation (to = nil), zero tip and value",
            key: "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318",
            sender: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23",
            transaction: {
                EIP1559Transaction(
                    chainId: 2018, nonce: 0, maxPriorityFeePerGas: 0, maxFeePerGas: 1_000_000_000, gasLimit: 3_000_000,
                    to: nil, value: 0, data: hex("6080604052348015600f57600080fd5b50"))
            },
            signingHash: "0a75fd9c8cdb1c1068ae9d12dac498a1bd251ef9ff48c6e84f6556b3e6ab97a5",
            raw: "02f8668207e28080843b9aca00832dc6c08080916080604052348015600f57600080fd5b50c080a0a55d87ac53d33de87a41"
                + "1a62d1fac23c1ce58f2e610b84c03cf7ae3b19354b81a07e924f1419945f10f6260cc8574f12c32da781b1e74c05a5dc0f"
                + "279808f6f116",
            hash: "0480d031752f2965b75e56718bad503f2db4b5fcd7e82270ed22af5349e70d2e"),
        TransactionVector(
            // Nonce 79 was searched for so that r has a leading zero byte (31-byte RLP integer).
            name: "transfer whose r is 31 bytes, maxFeePerGas 2^70 + 5",
            key: "4646464646464646464646464646464646464646464646464646464646464646",
            sender: "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F",
            transaction: {
                EIP1559Transaction(
                    chainId: 1, nonce: 79, maxPriorityFeePerGas: 2_000_000_000,
                    maxFeePerGas: try Quantity(bigEndian: hex("400000000000000005")), gasLimit: 21_000,
                    to: try EthereumAddress(hex: "0x9d8A62f656a8d1615C1294fd71e9CFb3E4855A4F"),
                    value: 1_000_000_000_000_000_000)
            },
            signingHash: "e4fbe12cf90c677e285ec76a85744f9c9d9ddd808ac546aa6d20102d149ee367",
            raw: "02f876014f847735940089400000000000000005825208949d8a62f656a8d1615c1294fd71e9cfb3e4855a4f880de0b6b3a7"
                + "64000080c0809f5bbbe9b97aa151a9c1fa65b463173ac559f443c99fc1427eeeb1b0702e6c3aa0191a52997e60eb46e5f900"
                + "b0858a9b5463dd28fe734c42b49c0b16fcb433713a",
            hash: "079b2eb8fc91fb46c1cdd21b4c9c8f6f4d0b83c7aa969bd93ce23582f071ae80"),
    ]
}

@Suite struct EIP1559TransactionTests {
    @Test(arguments: TransactionVector.all)
    func signingMatchesEthAccount(vector: TransactionVector) throws {
        let transaction = try vector.transaction()
        #expect(Hex.encode(transaction.signingHash) == vector.signingHash)
        let signed = try transaction.sign(with: try PrivateKey(rawRepresentation: hex(vector.key)))
        #expect(Hex.encode(signed.rawBytes) == vector.raw)
        #expect(Hex.encode(signed.hash) == vector.hash)
        #expect(try signed.recoverSender().checksummed == vector.sender)
    }

    @Test(arguments: TransactionVector.all)
    func decodeRoundTripAndSenderRecovery(vector: TransactionVector) throws {
        let decoded = try SignedTransaction(rawBytes: hex(vector.raw))
        #expect(decoded.transaction == (try vector.transaction()))
        #expect(decoded.rawBytes == hex(vector.raw))
        #expect(Hex.encode(decoded.hash) == vector.hash)
        #expect(Hex.encode(decoded.transaction.signingHash) == vector.signingHash)
        #expect(try decoded.recoverSender() == (try EthereumAddress(hex: vector.sender)))
        #expect(decoded.signature.isLowS)
        #expect(decoded.yParity <= 1)
        let reencoded = try SignedTransaction(transaction: decoded.transaction, signature: decoded.signature)
        #expect(reencoded == decoded)
    }

    @Test func randomKeysSignAndRecover() throws {
        for nonce: UInt64 in 0..<8 {
            let key = PrivateKey()
            let transaction = EIP1559Transaction(
                chainId: 1337, nonce: nonce, maxPriorityFeePerGas: 1, maxFeePerGas: 2, gasLimit: 50_000,
                to: PrivateKey().publicKey.ethereumAddress, value: Quantity(nonce), data: Array("anchor".utf8))
            let signed = try transaction.sign(with: key)
            let decoded = try SignedTransaction(rawBytes: signed.rawBytes)
            #expect(decoded == signed)
            #expect(try decoded.recoverSender() == key.publicKey.ethereumAddress)
        }
    }

    /// Re-encodes the vector's fields with one field replaced.
    static func mutated(_ index: Int, _ item: RLPItem?) throws -> [UInt8] {
        guard case .list(var fields) = try RLP.decode(hex(TransactionVector.all[0].raw).dropFirst()) else {
            throw LightClientError(.malformedTransaction, "vector is not a list")
        }
        if let item { fields[index] = item } else { fields.remove(at: index) }
        return [0x02] + RLP.encode(.list(fields))
    }

    @Test func tamperedFieldsChangeTheSender() throws {
        let vector = TransactionVector.all[0]
        let sender = try EthereumAddress(hex: vector.sender)
        for (index, item) in [(1, RLPItem.uint(8)), (0, .uint(1)), (6, .uint(1)), (7, .bytes([]))] {
            let decoded = try SignedTransaction(rawBytes: Self.mutated(index, item))
            #expect((try? decoded.recoverSender()) != sender, "field \(index)")
        }
        // The other recovery id is a valid signature of someone else.
        let original = try SignedTransaction(rawBytes: hex(vector.raw))
        let flipped = try SignedTransaction(
            transaction: original.transaction,
            signature: RecoverableSignature(r: original.signature.r, s: original.signature.s,
                                            recoveryID: original.yParity ^ 1))
        #expect((try? flipped.recoverSender()) != sender)
    }

    @Test func malformedTransactionsAreRejected() throws {
        let raw = hex(TransactionVector.all[0].raw)
        let s = try SignedTransaction(rawBytes: raw).signature.s
        let highS = subtract(RecoverableSignature.groupOrder, s)
        let cases: [(String, [UInt8], LightClientError.Code)] = [
            ("empty", [], .malformedTransaction),
            ("type 1", [0x01] + raw.dropFirst(), .unsupportedTransactionType),
            ("type 3", [0x03] + raw.dropFirst(), .unsupportedTransactionType),
            ("legacy list", Array(raw.dropFirst()), .unsupportedTransactionType),
            ("trailing byte", raw + [0x00], .malformedTransaction),
            ("truncated", Array(raw.dropLast()), .malformedTransaction),
            ("oversize", [0x02] + RLP.encode(bytes: [UInt8](repeating: 0, count: 200_000)), .malformedTransaction),
            ("11 fields", try Self.mutated(11, nil), .malformedTransaction),
            ("chainId of 9 bytes", try Self.mutated(0, .bytes([UInt8](repeating: 1, count: 9))), .malformedTransaction),
            ("nonce with leading zero", try Self.mutated(1, .bytes([0, 7])), .malformedTransaction),
            ("value of 33 bytes", try Self.mutated(6, .bytes([UInt8](repeating: 1, count: 33))), .malformedTransaction),
            ("to of 19 bytes", try Self.mutated(5, .bytes([UInt8](repeating: 1, count: 19))), .malformedTransaction),
            ("to is a list", try Self.mutated(5, .list([])), .malformedTransaction),
            ("storage key of 31 bytes",
             try Self.mutated(8, .list([.list([.bytes([UInt8](repeating: 1, count: 20)),
                                              .list([.bytes([UInt8](repeating: 1, count: 31))])])])),
             .malformedTransaction),
            ("r with leading zero", try Self.mutated(10, .bytes([0] + [UInt8](repeating: 1, count: 31))),
             .malformedTransaction),
            ("yParity 2", try Self.mutated(9, .uint(2)), .invalidSignature),
            ("yParity 27", try Self.mutated(9, .uint(27)), .invalidSignature),
            ("r = 0", try Self.mutated(10, .uint(0)), .invalidSignature),
            ("s = 0", try Self.mutated(11, .uint(0)), .invalidSignature),
            ("s = n", try Self.mutated(11, .bytes(RecoverableSignature.groupOrder)), .invalidSignature),
            ("high s", try Self.mutated(11, .bigEndianInteger(highS)), .invalidSignature),
        ]
        for (name, bytes, code) in cases {
            #expect(throws: LightClientError.self, "\(name)") { _ = try SignedTransaction(rawBytes: bytes) }
            do { _ = try SignedTransaction(rawBytes: bytes) } catch { #expect(error.code == code, "\(name)") }
        }
        // The size limit is a parameter.
        #expect(throws: LightClientError.self) { _ = try SignedTransaction(rawBytes: raw, maximumSize: raw.count - 1) }
        #expect(try SignedTransaction(rawBytes: raw, maximumSize: raw.count).rawBytes == raw)
    }

    @Test func everyProperPrefixIsRejected() {
        let raw = hex(TransactionVector.all[1].raw)
        for length in 0..<raw.count {
            #expect(throws: LightClientError.self) { _ = try SignedTransaction(rawBytes: raw.prefix(length)) }
        }
    }
}
