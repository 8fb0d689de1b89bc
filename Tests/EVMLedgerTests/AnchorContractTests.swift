@testable import EVMLedger
import EVMLightClient
import Foundation
import Ledger
import Telemetry
import Testing

@Suite struct AnchorContractTests {
    @Test func eventTopicIsTheAnchoredSignatureHash() {
        // The value the hand-assembled contract pushes (Contracts/Anchor/anchor.listing.md).
        #expect(AnchorContract.eventTopic == hex("964499b5aa997d8953c200d0ba94ded7cdcd167fe3e62819f065a1fdf1217136"))
    }

    @Test func calldataIsGatewayHashRootAndSize() throws {
        let request = try sampleRequest(gateway: "gw-0001", size: 0x0102_0304_0506)
        let data = AnchorContract.calldata(for: request)
        #expect(data.count == AnchorContract.calldataByteCount)
        #expect(Array(data[0..<32]) == Keccak256.hash(Array("gw-0001".utf8)))
        #expect(Array(data[32..<64]) == request.rootHash)
        #expect(Array(data[64..<96]) == [UInt8](repeating: 0, count: 26) + [1, 2, 3, 4, 5, 6])
        #expect(AnchorContract.word(UInt64.max) == [UInt8](repeating: 0, count: 24) + [UInt8](repeating: 0xFF, count: 8))
    }

    @Test func gatewayIDHashesUTF8() {
        // keccak256("") and a non-ASCII id hashed as UTF-8 bytes.
        #expect(AnchorContract.gatewayIDHash("") == hex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"))
        #expect(AnchorContract.gatewayIDHash("größe") == Keccak256.hash([0x67, 0x72, 0xC3, 0xB6, 0xC3, 0x9F, 0x65]))
    }

    @Test func expectedLogHasTopicsAndData() throws {
        let request = try sampleRequest()
        let contract = try EthereumAddress(hex: "0x5fbdb2315678afecb367f032d93f642f64180aa3")
        let sender = try EthereumAddress(hex: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")
        let log = AnchorContract.expectedLog(for: request, contract: contract, sender: sender)
        #expect(log.address == contract.bytes)
        #expect(log.topics == [AnchorContract.eventTopic,
                               hex("000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266"),
                               AnchorContract.gatewayIDHash(request.gatewayID)])
        #expect(log.data == request.rootHash + AnchorContract.word(request.treeSize))
        #expect(AnchorContract.sender(of: log) == sender)
    }

    @Test func creationAddressFollowsSenderAndNonce() throws {
        // Well-known CREATE addresses (e.g. Ethereum Yellow Paper discussions, ethers.js tests).
        let sender = try EthereumAddress(hex: "0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0")
        #expect(AnchorContract.creationAddress(sender: sender, nonce: 0)
                == (try EthereumAddress(hex: "0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d")))
        #expect(AnchorContract.creationAddress(sender: sender, nonce: 1)
                == (try EthereumAddress(hex: "0x343c43a37d37dff08ae8c4a11544c718abb4fcf8")))
        // Hardhat's first account deploys its first contract at 0x5FbDB…0aa3.
        let hardhat = try EthereumAddress(hex: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")
        #expect(AnchorContract.creationAddress(sender: hardhat, nonce: 0)
                == (try EthereumAddress(hex: "0x5fbdb2315678afecb367f032d93f642f64180aa3")))
    }
}

/// The embedded bytecode is the hand-assembled contract in `Contracts/Anchor/`.
@Suite struct AnchorBytecodeTests {
    static let contractDirectory: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/Contracts/Anchor/"
    }()

    func fileHex(_ name: String) throws -> String {
        let text = try String(contentsOfFile: Self.contractDirectory + name, encoding: .utf8)
        return text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    @Test func initCodeEqualsTheFile() throws {
        #expect(Hex.encode(AnchorContract.initCode) == (try fileHex("anchor.init.hex")))
        #expect(AnchorContract.initCode.count == 86)
    }

    @Test func runtimeCodeEqualsTheFileAndTheInitCodeTail() throws {
        #expect(Hex.encode(AnchorContract.runtimeCode) == (try fileHex("anchor.runtime.hex")))
        #expect(AnchorContract.initCode.suffix(AnchorContract.runtimeCode.count) == AnchorContract.runtimeCode[...])
        // The runtime pushes the event topic the backend expects.
        let topic = AnchorContract.eventTopic
        #expect(AnchorContract.runtimeCode.indices.contains { index in
            AnchorContract.runtimeCode[index...].starts(with: [0x7F] + topic)
        })
    }
}
