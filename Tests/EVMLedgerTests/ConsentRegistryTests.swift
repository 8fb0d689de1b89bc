@testable import EVMLedger
import EVMLightClient
import Foundation
import Ledger
import Telemetry
import Testing

@Suite struct ConsentRegistryTests {
    @Test func termsRoundTripThroughTheRecordWord() throws {
        let terms = ConsentRegistry.Terms(status: .revoked, classes: 0x8000_0005, notBefore: 0x0102_0304_0506_0708,
                                          notAfter: UInt64.max, version: 0xAABB)
        let word = terms.word
        #expect(word.count == 32)
        #expect(Array(word[0..<8]) == [0, 0, 0, 0, 0, 0, 0xAA, 0xBB])
        #expect(Array(word[8..<16]) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Array(word[16..<24]) == [UInt8](repeating: 0xFF, count: 8))
        #expect(Array(word[24..<32]) == [0x80, 0, 0, 5, 0, 0, 0, 2])
        #expect(ConsentRegistry.Terms(word: word) == terms)
        var badStatus = word
        badStatus[31] = 3
        #expect(ConsentRegistry.Terms(word: badStatus) == nil)
        var reserved = word
        reserved[29] = 1
        #expect(ConsentRegistry.Terms(word: reserved) == nil)
        #expect(ConsentRegistry.Terms(word: Array(word.dropLast())) == nil)
    }

    @Test func purposeWordsAreLeftAlignedASCII() {
        #expect(ConsentRegistry.purposeWord("TREAT") == Array("TREAT".utf8) + [UInt8](repeating: 0, count: 27))
        #expect(ConsentRegistry.purposeWord("") == nil)
        #expect(ConsentRegistry.purposeWord(String(repeating: "X", count: 33)) == nil)
        #expect(ConsentRegistry.purposeWord("TRÉAT") == nil)
        #expect(ConsentRegistry.purposeWord("TRE AT") == nil)
        #expect(ConsentRegistry.purposeWord(String(repeating: "X", count: 32))?.count == 32)
    }

    @Test func slotsAreTheDocumentedHashes() {
        let pseudonym = [UInt8](repeating: 0xA1, count: 32), grantee = [UInt8](repeating: 0xB2, count: 32)
        let purpose = ConsentRegistry.purposeWord("TREAT")!
        #expect(ConsentRegistry.versionSlot(pseudonym: pseudonym, grantee: grantee) == Keccak256.hash(pseudonym + grantee))
        #expect(ConsentRegistry.recordSlot(pseudonym: pseudonym, grantee: grantee, purpose: purpose)
                == Keccak256.hash(pseudonym + grantee + purpose))
        #expect(ConsentRegistry.calldata(pseudonym: pseudonym, grantee: grantee, purpose: purpose,
                                         terms: .init(status: .granted, classes: 1)).count == ConsentRegistry.calldataByteCount)
    }

    @Test func stateDecodingRejectsWhatTheContractCannotStore() throws {
        let authority = try EthereumAddress(hex: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")
        let policy = ConsentRegistryReader.Policy(registry: authority, authority: authority)
        let header = try SyntheticChain(request: sampleRequest()).header(number: 9, parentHash: word(0),
                                                                            receiptsRoot: MerklePatriciaTrie.emptyRootHash)
        let owner = [UInt8](repeating: 0, count: 12) + authority.bytes
        let two = [UInt8](repeating: 0, count: 31) + [2]
        let purpose = ConsentRegistry.purposeWord("TREAT")!
        func state(_ record: [UInt8], pair: [UInt8] = two, owner: [UInt8] = owner) throws(LedgerError) -> ConsentRegistryState {
            try ConsentRegistryReader.state(authority: owner, pairVersion: pair, record: record, purpose: purpose,
                                            header: header, policy: policy)
        }
        let granted = try state(ConsentRegistry.Terms(status: .granted, classes: 3, version: 2).word)
        #expect(granted.decision == .granted && granted.version == 2 && granted.blockNumber == 9)
        #expect(try state(word(0)).decision == .absent)
        // A version above the pair's counter, version 0, a bad status, another authority.
        for record in [ConsentRegistry.Terms(status: .granted, classes: 3, version: 3).word,
                       ConsentRegistry.Terms(status: .granted, classes: 3, version: 0).word,
                       [UInt8](repeating: 0, count: 31) + [7]] {
            #expect((#expect(throws: LedgerError.self) { try state(record) })?.step == "record")
        }
        #expect((#expect(throws: LedgerError.self) { try state(word(0), owner: word(0)) })?.step == "authority")
        #expect((#expect(throws: LedgerError.self) { try state(word(0), pair: word(1)) })?.step == "record")
    }
}

/// The embedded bytecode is the hand-assembled contract in `Contracts/ConsentRegistry/`, and the
/// annotated listing describes exactly that bytecode.
@Suite struct ConsentRegistryBytecodeTests {
    static let contractDirectory: String = {
        var path = #filePath
        for _ in 0..<3 { path = String(path[..<path.lastIndex(of: "/")!]) }
        return path + "/Contracts/ConsentRegistry/"
    }()

    func file(_ name: String) throws -> String {
        try String(contentsOfFile: Self.contractDirectory + name, encoding: .utf8)
    }

    @Test func embeddedCodeEqualsTheFiles() throws {
        let initHex = try file("registry.init.hex").trimmingCharacters(in: .whitespacesAndNewlines)
        let runtimeHex = try file("registry.runtime.hex").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Hex.encode(ConsentRegistry.initCode) == initHex)
        #expect(Hex.encode(ConsentRegistry.runtimeCode) == runtimeHex)
        #expect(ConsentRegistry.initCode.suffix(ConsentRegistry.runtimeCode.count) == ConsentRegistry.runtimeCode[...])
        #expect(ConsentRegistry.runtimeCode.count == 128)
        #expect(ConsentRegistry.runtimeCodeHash == Keccak256.hash(ConsentRegistry.runtimeCode))
        // The runtime pushes the event topic the reader documents.
        #expect(ConsentRegistry.runtimeCode.indices.contains { index in
            ConsentRegistry.runtimeCode[index...].starts(with: [0x7F] + ConsentRegistry.eventTopic)
        })
    }

    /// Each table row's offset and bytes (`6080`, or `7f793947…6824` for long pushes).
    func rows(_ title: String, in listing: String) throws -> [(offset: Int, bytes: String)] {
        let section = try #require(listing.components(separatedBy: "### " + title).dropFirst().first)
        var rows: [(Int, String)] = []
        for line in section.split(separator: "\n") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, cells[0].hasPrefix("0x"), let offset = Int(cells[0].dropFirst(2), radix: 16) else {
                if !rows.isEmpty && !line.hasPrefix("|") { break }
                continue
            }
            rows.append((offset, cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))))
        }
        return rows
    }

    func expectRows(_ rows: [(offset: Int, bytes: String)], describe code: [UInt8]) {
        var expectedOffset = 0
        for row in rows {
            #expect(row.offset == expectedOffset, "row at 0x\(String(row.offset, radix: 16))")
            let parts = row.bytes.components(separatedBy: "…")
            if parts.count == 2 {
                // Shortened: first 4 and last 2 bytes of a PUSH32 (1 + 32 bytes).
                let length = 33
                guard expectedOffset + length <= code.count else { Issue.record("row past the end"); return }
                let bytes = Hex.encode(code[expectedOffset..<(expectedOffset + length)])
                #expect(bytes.hasPrefix(parts[0]) && bytes.hasSuffix(parts[1]))
                expectedOffset += length
            } else {
                let bytes = Hex.decode(row.bytes) ?? []
                #expect(!bytes.isEmpty)
                guard expectedOffset + bytes.count <= code.count else { Issue.record("row past the end"); return }
                #expect(Array(code[expectedOffset..<(expectedOffset + bytes.count)]) == bytes,
                        "row at 0x\(String(row.offset, radix: 16))")
                expectedOffset += bytes.count
            }
        }
        #expect(expectedOffset == code.count, "the rows cover \(expectedOffset) of \(code.count) bytes")
    }

    @Test func theListingDescribesTheBytecode() throws {
        let listing = try file("registry.listing.md")
        let constructorLength = ConsentRegistry.initCode.count - ConsentRegistry.runtimeCode.count
        let initRows = try rows("Creation code (constructor)", in: listing)
        let runtimeRows = try rows("Runtime code", in: listing)
        #expect(initRows.count > 10 && runtimeRows.count > 50)
        expectRows(initRows, describe: Array(ConsentRegistry.initCode.prefix(constructorLength)))
        expectRows(runtimeRows, describe: ConsentRegistry.runtimeCode)
        #expect(listing.contains("Runtime: \(ConsentRegistry.runtimeCode.count) bytes"))
    }
}
