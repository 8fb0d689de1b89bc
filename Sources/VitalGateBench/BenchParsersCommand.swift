import VitalGateCommands
public import ArgumentParser
import Cryptography
import EVMLightClient
import Fleet
import FoundationEssentials
import Schemas
import Sealing
import Telemetry
import Transparency
import Vault

/// `vitalgate bench parsers`: each parser of outside input on worst-case inputs (many keys,
/// deep nesting, long strings, many escapes, slow numbers, many items), each timed against an
/// ordinary input of the same size, side by side in one process. A parser that is linear in its
/// input keeps every ratio near 1; a quadratic one shows ratios in the hundreds (issue 17).
public struct BenchParsersCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "parsers", abstract: "Worst-case inputs of every parser of outside input, against ordinary inputs of the same size.")

    @Option(name: .long, help: "Directory of firmware schemas extending the built-in ones (for the device decoder).")
    var schemas: String?
    @Option(name: .long, help: "Seconds spent timing each input.") var seconds = 0.3
    @Flag(name: .long, help: "Print one JSON object per input.") var json = false

    public init() {}

    /// One input of one parser.
    struct Case {
        var parser: String
        var name: String
        var bytes: [UInt8]
        /// The same kind of input at a quarter of the size (`nil` for the ordinary input).
        var quarter: [UInt8]?
    }

    public func run() throws {
        let catalog = try SchemaCatalog.builtIn(extendedBy: schemas)
        let parsers = try ParserUnderTest.all(catalog: catalog)
        if !json {
            print("parser        input               bytes      us/parse   MB/s  vs ordinary  x4 size")
        }
        for parser in parsers {
            var ordinaryMicros = 0.0
            for (index, input) in parser.inputs.enumerated() {
                let micros = time(parser.parse, input.bytes)
                if index == 0 { ordinaryMicros = micros }
                let ratio = micros / ordinaryMicros
                let mbps = Double(input.bytes.count) / micros
                // Cost per byte at this size against a quarter of it: 1 for a linear parser, 4 for a
                // quadratic one.
                let growth = input.quarter.map { micros / (4 * time(parser.parse, $0)) }
                if json {
                    print(JSONWriter.canonicalString(.object([
                        ("parser", .string(parser.name)), ("input", .string(input.name)),
                        ("bytes", .number(Double(input.bytes.count))), ("us_per_parse", .number((micros * 100).rounded() / 100)),
                        ("ratio", .number((ratio * 100).rounded() / 100)),
                        ("growth_x4", growth.map { .number(($0 * 100).rounded() / 100) } ?? .null),
                    ])))
                } else {
                    let name = parser.name.padding(13) + " " + input.name.padding(18)
                    print(name + String(printf: " %7d %12.2f %7.1f %9.2fx", input.bytes.count, micros, mbps, ratio)
                          + (growth.map { String(printf: " %9.2f", $0) } ?? ""))
                }
            }
        }
    }

    /// Microseconds per call: the median of rounds of calls, `seconds` in all.
    private func time(_ parse: ([UInt8]) -> Void, _ bytes: [UInt8]) -> Double {
        MedianTimer.microsPerCall(seconds: seconds) { parse(bytes) }
    }
}

/// A parser of outside input and its inputs: the ordinary one first, then worst cases of the
/// same size.
struct ParserUnderTest {
    var name: String
    var inputs: [BenchParsersCommand.Case]
    var parse: ([UInt8]) -> Void

    /// `worst` makes each hostile input at a given size; it is timed at the ordinary input's
    /// size and at a quarter of it.
    init(_ name: String, ordinary: [UInt8], worst: [(String, (Int) -> [UInt8])], parse: @escaping ([UInt8]) -> Void) {
        self.name = name
        inputs = [.init(parser: name, name: "ordinary", bytes: ordinary, quarter: nil)]
            + worst.map { .init(parser: name, name: $0.0, bytes: $0.1(ordinary.count), quarter: $0.1(ordinary.count / 4)) }
        self.parse = parse
    }

    static func all(catalog: SchemaCatalog) throws -> [ParserUnderTest] {
        [try payload(catalog), try fleet(), try bundle(), try note(), rlp(), try configFile()]
    }

    /// Device payloads (16 KiB, the agent's default limit): the JSON parser and the firmware-schema
    /// decoder of a paired CardioStrip, whose ordinary large message is an ECG chunk.
    static func payload(_ catalog: SchemaCatalog) throws -> ParserUnderTest {
        var decoder = MessageDecoder(catalog: catalog)
        let now: Int64 = 1_763_884_801_000
        _ = decoder.decode(topic: "wban/v1/CDS-812142/info", payload: Array(#"{"model":"CardioStrip","fw":"3.2.0"}"#.utf8),
                           receivedAt: now)
        _ = decoder.decode(topic: "wban/v1/CDS-812142/pair", payload: Array(#"{"patient":"MRN-1","bed":"B1"}"#.utf8),
                           receivedAt: now)
        let size = 16 * 1024
        let samples = (size - 100) / 4 * 3 / 2 * 2
        let chunk = #"{"seq":89,"ts0":1763884800000,"fs":\#(samples / 2),"lead":"II","n":\#(samples / 2),"uV":""#
        var ordinary = Array(chunk.utf8)
        Base64.encode([UInt8](repeating: 7, count: samples), into: &ordinary)
        ordinary += Array(#""}"#.utf8)
        let template = decoder
        return ParserUnderTest("payload", ordinary: ordinary, worst: WorstCaseJSON.all(depth: 16)) { bytes in
            var copy = template
            _ = copy.decode(topic: "wban/v1/CDS-812142/waveform", payload: bytes, receivedAt: now)
        }
    }

    /// Fleet envelopes (64 KiB): parsed and judged as the agent judges one from the config topic.
    static func fleet() throws -> ParserUnderTest {
        let alice = ConfigSigner(name: "alice", privateKey: try Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 32)))
        let policy = TrustPolicy(keys: [alice.operatorKey])
        let now: UInt64 = 1_800_000_100_000
        // An ordinary large document: the ingest section subscribes to one topic per device.
        let topics = (0..<1500).map { "wban/v1/DEV-\(String($0, radix: 16).leftPadded(6))/+" }
        let document = ConfigDocument(target: .gateway("gw-bench"), version: 2, notBefore: now - 1, expires: now + 1000,
                                      sections: ConfigSections(ingest: .init(topics: topics, maxBatch: 256)))
        let ordinary = try ConfigSigner.sign(document, with: [alice])
        return ParserUnderTest("fleet", ordinary: ordinary, worst: WorstCaseJSON.all(depth: 20)) { bytes in
            _ = ConfigVerifier.evaluate(bytes, policy: policy, gatewayID: "gw-bench", appliedVersion: nil, now: now)
        }
    }

    /// Proof bundles, as `verify` reads them: a real bundle from a sealed vault.
    static func bundle() throws -> ParserUnderTest {
        let fixture = try BenchFixture(readings: 1000, synchronous: .off)
        let vault = fixture.vault
        let trust = try vault.trustAnchors(gatewayID: "bench")
        let ordinary = try vault.proofBundle(readingID: 500, gatewayID: "bench").json
        return ParserUnderTest("bundle", ordinary: ordinary, worst: WorstCaseJSON.all(depth: 32)) { bytes in
            _ = try? BundleVerifier.verify(json: bytes, trust: trust)
        }
    }

    /// C2SP signed checkpoints, as `checkpoint-cosigned` reads them (4 KiB): the ordinary one
    /// carries witness cosignatures.
    static func note() throws -> ParserUnderTest {
        func key(_ seed: UInt8) throws -> Ed25519.PrivateKey { try Ed25519.PrivateKey(rawRepresentation: [UInt8](repeating: seed, count: 32)) }
        let origin = "vitalgate.gateway/bench"
        let log = try NoteSigner(name: origin, privateKey: try key(5))
        var witnesses: [CosignatureSigner] = []
        var signed = try SignedCheckpoint(checkpoint: try Checkpoint(origin: origin, size: 1 << 20, rootHash: [UInt8](repeating: 9, count: 32)),
                                          logSigner: log)
        for index in 0..<24 {
            let witness = try CosignatureSigner(name: "witness-\(index).example", privateKey: try key(UInt8(10 + index)))
            try signed.addCosignature(by: witness, timestamp: 1_800_000_000)
            witnesses.append(witness)
        }
        let ordinary = signed.serialized
        let body = Array(try Checkpoint(origin: origin, size: 7, rootHash: [UInt8](repeating: 1, count: 32)).body.utf8)
        func filled(_ line: String, _ size: Int) -> [UInt8] {
            var bytes = body
            while bytes.count + line.utf8.count + 1 < size { bytes += Array(line.utf8) }
            return bytes + [0x0A]
        }
        let unknownSignature = "\n\u{2014} unknown.example AAAAAQ" + String(repeating: "A", count: 84) + "=="
        let extensions: (Int) -> [UInt8] = { size in
            let checkpoint = try? Checkpoint(origin: origin, size: 7, rootHash: [UInt8](repeating: 1, count: 32),
                                             extensions: Array(repeating: "x", count: max(0, size / 2 - 60)))
            return Array((checkpoint?.body ?? "").utf8) + Array("\n\u{2014} \(origin) AAAAAQ==\n".utf8)
        }
        let worst: [(String, (Int) -> [UInt8])] = [
            ("many extensions", extensions),
            ("long line", { Array(origin.utf8) + [0x0A] + [UInt8](repeating: 0x61, count: max(0, $0 - 40)) + Array("\n\n".utf8) }),
            ("many signatures", { filled(unknownSignature, $0) }),
        ]
        let verifier = log.verifier
        let witnessVerifiers = witnesses.map(\.verifier)
        return ParserUnderTest("note", ordinary: ordinary, worst: worst) { bytes in
            _ = try? SignedCheckpoint.open(bytes, origin: origin, logVerifier: verifier, witnesses: witnessVerifiers)
        }
    }

    /// RLP, as the light client reads a node's answers (16 KiB).
    static func rlp() -> ParserUnderTest {
        let size = 16 * 1024
        let ordinary = RLP.encode(.list((0..<(size / 33)).map { _ in .bytes([UInt8](repeating: 0xAB, count: 32)) }))
        var nested = RLPItem.bytes([1])
        for _ in 0..<(RLP.defaultMaxDepth - 1) { nested = .list([nested]) }
        let deepUnit = RLP.encode(nested)
        let worst: [(String, (Int) -> [UInt8])] = [
            ("deep nesting", { RLP.encode(.list(Array(repeating: nested, count: $0 / deepUnit.count))) }),
            ("many tiny items", { RLP.encode(.list(Array(repeating: .bytes([1]), count: $0 - 4))) }),
            ("many empty lists", { RLP.encode(.list(Array(repeating: .list([]), count: $0 - 4))) }),
        ]
        return ParserUnderTest("rlp", ordinary: ordinary, worst: worst) { bytes in
            _ = try? RLP.decode(bytes)
        }
    }

    /// The agent's configuration file: the shipped one against hostile files of its size.
    static func configFile() throws -> ParserUnderTest {
        let ordinary: [UInt8]
        if let data = FileManager.default.contents(atPath: CheckoutFile.locate("Config/vitalgate.conf")) {
            ordinary = Array(data)
        } else {
            ordinary = Array(("[gateway]\nid = \"gw\"\n" + String(repeating: "# a comment line of an ordinary file\n", count: 150)).utf8)
        }
        func repeated(_ head: String, _ unit: String, _ tail: String = "") -> (Int) -> [UInt8] {
            { size in
                var text = head
                while text.utf8.count + unit.utf8.count + tail.utf8.count < size { text += unit }
                return Array((text + tail).utf8)
            }
        }
        let worst: [(String, (Int) -> [UInt8])] = [
            ("many topics", repeated("[ingest]\ntopics = [", "\"wban/v1/+/+\", ", "\"x/#\"]\n")),
            ("long string", { Array(("[gateway]\nid = \"" + String(repeating: "é", count: max(0, $0 / 2 - 20)) + "\"\n").utf8) }),
            ("many escapes", repeated("[gateway]\nid = \"", "\\u00e9", "\"\n")),
            ("many sections", repeated("", "[gateway]\n")),
            ("many comments", repeated("", "#\n")),
        ]
        return ParserUnderTest("config", ordinary: ordinary, worst: worst) { bytes in
            _ = try? AgentConfig.parse(String(decoding: bytes, as: UTF8.self))
        }
    }
}

/// Hostile JSON documents of a given size.
enum WorstCaseJSON {
    static func all(depth: Int) -> [(String, (Int) -> [UInt8])] {
        [("many keys", manyKeys), ("long keys", longKeys), ("deep nesting", { deepNesting($0, depth: depth) }),
         ("long string", longString), ("many escapes", manyEscapes), ("slow numbers", slowNumbers)]
    }

    /// `{"k0":0,"k1":0,…}`: every key is checked against every earlier one by a quadratic parser.
    static func manyKeys(_ size: Int) -> [UInt8] { keys(size, prefix: "k") }

    /// Keys of 1,000 bytes sharing a prefix: every comparison and hash runs their length.
    static func longKeys(_ size: Int) -> [UInt8] { keys(size, prefix: String(repeating: "a", count: 1000)) }

    private static func keys(_ size: Int, prefix: String) -> [UInt8] {
        var text = "{"
        var index = 0
        while text.utf8.count + prefix.utf8.count < size - 20 {
            text += "\"\(prefix)\(index)\":0,"
            index += 1
        }
        return Array((text + "\"end\":0}").utf8)
    }

    /// Arrays nested to the parser's depth limit, repeated.
    static func deepNesting(_ size: Int, depth: Int) -> [UInt8] {
        let unit = String(repeating: "[", count: depth - 1) + "0" + String(repeating: "]", count: depth - 1)
        var text = "["
        while text.utf8.count + unit.utf8.count + 2 < size { text += unit + "," }
        return Array((text + "0]").utf8)
    }

    /// One string of two-byte characters.
    static func longString(_ size: Int) -> [UInt8] {
        Array(("{\"s\":\"" + String(repeating: "é", count: (size - 8) / 2) + "\"}").utf8)
    }

    /// A string of `\u` escapes and surrogate pairs.
    static func manyEscapes(_ size: Int) -> [UInt8] {
        var text = "{\"s\":\""
        while text.utf8.count < size - 20 { text += "\\u00e9\\ud83d\\ude00\\n" }
        return Array((text + "\"}").utf8)
    }

    /// Numbers that take the slow path (more digits than a Double holds).
    static func slowNumbers(_ size: Int) -> [UInt8] {
        var text = "["
        while text.utf8.count < size - 40 { text += "1.0000000000000000000000001e-300," }
        return Array((text + "0]").utf8)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
    func padding(_ width: Int) -> String { self + String(repeating: " ", count: max(0, width - count)) }
}
