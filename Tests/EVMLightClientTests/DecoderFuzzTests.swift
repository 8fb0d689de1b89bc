import EVMLightClient
import Telemetry
import Testing
import VitalGateTesting

/// Mutation fuzzing of the decoders (deterministic seeds). Strict decoding means any accepted
/// input is canonical: it must re-encode to exactly the same bytes. Nothing may crash.
@Suite struct DecoderFuzzTests {
    static func mutate(_ input: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            switch Int.random(in: 0..<5, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
            case 1 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            case 2:
                bytes.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...bytes.count, using: &rng))
            case 3 where !bytes.isEmpty:
                bytes.remove(at: Int.random(in: 0..<bytes.count, using: &rng))
            default:
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
            }
        }
        return bytes
    }

    static var seeds: [[UInt8]] {
        RLPTests.valid.keys.sorted().compactMap { try? RLPTests.out(RLPTests.valid, $0) }
    }

    @Test func rlpAcceptsOnlyCanonicalEncodings() {
        var rng = SplitMix64(seed: 1)
        var accepted = 0
        for seed in Self.seeds {
            for _ in 0..<300 {
                let input = Self.mutate(seed, &rng)
                if let item = try? RLP.decode(input) {
                    #expect(RLP.encode(item) == input)
                    accepted += 1
                }
            }
        }
        #expect(accepted > 0, "some mutants decode, so the canonical check ran")
        // Random short byte strings as well.
        accepted = 0
        for _ in 0..<5000 {
            let input = (0..<Int.random(in: 0...12, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if let item = try? RLP.decode(input) {
                #expect(RLP.encode(item) == input)
                accepted += 1
            }
        }
        #expect(accepted > 0, "some random strings decode, so the canonical check ran")
    }

    @Test func headerAndBlockDecodersAreStrict() throws {
        var rng = SplitMix64(seed: 2)
        var accepted = 0
        for vector in BlockHeaderVectorTests.allBlocks.prefix(4) {
            let header = try Block(rlp: vector.rlp).header.rawRLP
            for _ in 0..<500 {
                let input = Self.mutate(header, &rng)
                if let decoded = try? BlockHeader(rlp: input) {
                    #expect(decoded.rawRLP == input)
                    accepted += 1
                }
                let block = Self.mutate(vector.rlp, &rng)
                _ = try? Block(rlp: block)
            }
        }
        #expect(accepted > 0, "some mutated headers decode, so the canonical check ran")
    }

    @Test func receiptAndExtraDataDecodersNeverCrash() throws {
        var rng = SplitMix64(seed: 3)
        let receipt = Receipt(type: 2, outcome: .success, cumulativeGasUsed: 99, logs: [ReceiptTests.log]).encoded()
        let extra = QBFTExtraData(validators: QBFTTests.validators, vote: .init(recipient: QBFTTests.validators[0], authorize: true),
                                  round: 7, committedSeals: [try QBFTTests.seal(0x10, v: 1)]).encoded()
        var accepted = (receipts: 0, extraData: 0)
        for _ in 0..<2000 {
            let receiptInput = Self.mutate(receipt, &rng)
            if let decoded = try? Receipt(encoded: receiptInput) {
                #expect(decoded.encoded() == receiptInput)
                accepted.receipts += 1
            }
            let extraInput = Self.mutate(extra, &rng)
            if let decoded = try? QBFTExtraData(extraData: extraInput) {
                #expect(try QBFTExtraData(extraData: decoded.encoded()) == decoded)
                accepted.extraData += 1
            }
        }
        #expect(accepted.receipts > 0 && accepted.extraData > 0, "some mutants decode, so the round trips ran")
    }
}
