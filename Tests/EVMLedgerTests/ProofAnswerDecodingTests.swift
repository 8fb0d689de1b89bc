@testable import EVMLedger
import EVMLightClient
import Foundation
import Ledger
import Telemetry
import Testing

/// `eth_getProof` answers decoded as the reader decodes them: a client's real answer (the
/// execution-apis fixture, CC0, in EVMLightClientTests' vectors) and malformed ones.
@Suite struct ProofAnswerDecodingTests {
    static let fixture: String = {
        var path = #filePath
        for _ in 0..<2 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/EVMLightClientTests/Vectors/execution-apis/eth_getProof/get-account-proof-with-storage.io"
    }()

    func answer() throws -> JSONValue {
        let text = try String(contentsOfFile: Self.fixture, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("<<") })
        return try #require(try JSONParser().parse(String(line.dropFirst(3)))["result"])
    }

    func replacing(_ key: String, with value: JSONValue, in object: JSONValue) throws -> JSONValue {
        let members = try #require(object.objectValue)
        return .object(members.map { ($0.key, $0.key == key ? value : $0.value) })
    }

    @Test func aClientsAnswerDecodesAndItsProofsHold() throws {
        let proof = try EthereumNode.accountProof(try answer())
        #expect(proof.address == (try EthereumAddress(hex: "0x7dcd17433742f4c0ca53122ab541d0ba67fc27df")))
        #expect(proof.balance == Quantity(0x76) && proof.nonce == 0 && proof.accountProof.count == 3)
        // The key "0x0" is slot 0, left-padded; its value 0x38.
        #expect(proof.storageProof.map(\.slot) == [[UInt8](repeating: 0, count: 32)])
        #expect(proof.storageProof.first?.value == Quantity(0x38))
        // Consistent with the root its first node hashes to (the chain's state root is checked
        // in StateProofVectorTests).
        let verified = try proof.verify(stateRoot: Keccak256.hash(proof.accountProof[0]))
        #expect(verified.account?.storageRoot == proof.storageHash)
        #expect(verified.storage[[UInt8](repeating: 0, count: 32)] == Quantity(0x38))
    }

    @Test func malformedAnswersAreMalformedResponses() throws {
        let good = try answer()
        let oversized = JSONValue.string("0x" + String(repeating: "ab", count: EthereumNode.maximumProofNodeBytes + 1))
        let tooMany = JSONValue.array([JSONValue](repeating: .string("0x80"), count: EthereumNode.maximumProofNodes + 1))
        let longKey = JSONValue.array([.object([("key", .string("0x" + String(repeating: "11", count: 33))),
                                                ("value", .string("0x1")), ("proof", .array([]))])])
        let cases: [JSONValue] = [
            .null, .array([]),
            try replacing("address", with: .string("0x1234"), in: good),
            try replacing("accountProof", with: .string("0x00"), in: good),
            try replacing("accountProof", with: .array([oversized]), in: good),
            try replacing("accountProof", with: tooMany, in: good),
            try replacing("nonce", with: .string("0x" + String(repeating: "f", count: 17)), in: good),
            try replacing("storageHash", with: .string("0x00"), in: good),
            try replacing("storageProof", with: .object([]), in: good),
            try replacing("storageProof", with: longKey, in: good),
        ]
        for value in cases {
            let error = #expect(throws: LedgerError.self) { try EthereumNode.accountProof(value) }
            #expect(error?.code == .malformedResponse, "\(String(describing: error))")
        }
    }
}
