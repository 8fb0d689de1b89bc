import EVMLedger
import EVMLightClient
import Ledger
import Synchronization
import Telemetry

/// A JSON-RPC node that mines nothing and forges everything (issue 21's measurement): for each
/// anchor transaction it is sent, it makes up a block whose only receipt carries the anchor
/// event the transaction would emit (no transaction, no contract run), and five descendants
/// linked by parent hash, and serves them as its canonical chain. Every hash checks out; only
/// something it cannot forge (another node, a pinned block, validator seals) tells it apart.
struct ForgingNode {
    let node: ScriptedNode

    /// `contract` is where the forged events claim to come from.
    init(contract: EthereumAddress) throws {
        let chain = ForgedChain(contract: contract)
        node = try ScriptedNode { method, params in chain.answer(method, params) }
    }

    var endpoint: HTTPEndpoint { node.endpoint }
}

/// What a ``ForgingNode`` made up so far, and its answers.
final class ForgedChain: Sendable {
    private struct Forged {
        var headers: [UInt64: BlockHeader] = [:]
        var receipts: [[UInt8]: [[UInt8]]] = [:]  // block hash → raw receipts
        var anchors: [[UInt8]: (block: [UInt8], number: UInt64)] = [:]  // transaction hash → its block
        var head: UInt64 = 999
    }

    private let forged = Mutex(Forged())
    private let contract: EthereumAddress

    init(contract: EthereumAddress) { self.contract = contract }

    func answer(_ method: String, _ params: [JSONValue]) -> ScriptedNode.Answer {
        func quantity(_ value: UInt64) -> JSONValue { .string(Quantity(value).description) }
        func hex(_ bytes: [UInt8]) -> JSONValue { .string(Hex.encode(bytes, prefix: true)) }
        switch method {
        case "eth_chainId": return .result(.string("0x539"))
        case "eth_blockNumber": return .result(quantity(forged.withLock { $0.head }))
        case "eth_getTransactionCount", "eth_maxPriorityFeePerGas": return .result(.string("0x1"))
        case "eth_getBlockByNumber": return .result(.object([("baseFeePerGas", .string("0x7"))]))
        case "eth_getTransactionByHash": return .result(.null)
        case "eth_sendRawTransaction":
            guard let raw = Hex.decode(params.first?.stringValue ?? ""),
                  let transaction = try? SignedTransaction(rawBytes: raw),
                  let sender = try? transaction.recoverSender(), transaction.transaction.data.count == 96 else {
                return .error(-32000, "invalid transaction")
            }
            forge(transaction, sender: sender)
            return .result(hex(transaction.hash))
        case "eth_getTransactionReceipt":
            let key = Hex.decode(params.first?.stringValue ?? "") ?? []
            guard let anchor = forged.withLock({ $0.anchors[key] }) else { return .result(.null) }
            return .result(.object([
                ("status", .string("0x1")), ("blockHash", hex(anchor.block)), ("blockNumber", quantity(anchor.number)),
                ("transactionIndex", .string("0x0")), ("gasUsed", .string("0x5eb3")), ("contractAddress", .null),
            ]))
        case "debug_getRawHeader":
            let key = params.first?.stringValue ?? ""
            let header = forged.withLock { state -> BlockHeader? in
                if key.count == 66 { return state.headers.values.first { $0.hash == Hex.decode(key) } }
                return Quantity(hexQuantity: key)?.uint64Value.flatMap { state.headers[$0] }
            }
            guard let header else { return .error(-32000, "header not found") }
            return .result(hex(header.rawRLP))
        case "debug_getRawReceipts":
            let key = Hex.decode(params.first?.stringValue ?? "") ?? []
            return .result(.array((forged.withLock { $0.receipts[key] } ?? []).map(hex)))
        default:
            return .error(-32601, "method not found")
        }
    }

    /// A block for `transaction` at the next height, whose receipt has the anchor event, and five
    /// descendants on top.
    private func forge(_ transaction: SignedTransaction, sender: EthereumAddress) {
        let data = transaction.transaction.data
        let event = Log(address: contract.bytes,
                        topics: [AnchorContract.eventTopic, AnchorContract.word(sender), Array(data[0..<32])],
                        data: Array(data[32..<96]))
        let receipt = Receipt(type: 2, outcome: .success, cumulativeGasUsed: 24_259, logs: [event]).encoded()
        let receiptsRoot = MerklePatriciaTrie(orderedValues: [receipt]).rootHash
        forged.withLock { state in
            var parent = state.headers[state.head]?.hash ?? [UInt8](repeating: 0x99, count: 32)
            for offset in 1...6 {
                let number = state.head + UInt64(offset)
                guard let header = try? BlockHeader(
                    parentHash: parent, ommersHash: Keccak256.hash([0xC0]), beneficiary: [UInt8](repeating: 0x11, count: 20),
                    stateRoot: [UInt8](repeating: 0x22, count: 32), transactionsRoot: MerklePatriciaTrie.emptyRootHash,
                    receiptsRoot: offset == 1 ? receiptsRoot : MerklePatriciaTrie.emptyRootHash,
                    logsBloom: [UInt8](repeating: 0, count: 256), difficulty: [], number: number, gasLimit: 30_000_000,
                    gasUsed: offset == 1 ? 24_259 : 0, timestamp: 1_700_000_000 + number, extraData: [0xF0, 0x46],
                    mixHash: [UInt8](repeating: 0, count: 32), nonce: [UInt8](repeating: 0, count: 8), baseFeePerGas: [7])
                else { return }
                state.headers[number] = header
                state.receipts[header.hash] = offset == 1 ? [receipt] : []
                if offset == 1 { state.anchors[transaction.hash] = (header.hash, number) }
                parent = header.hash
            }
            state.head += 6
        }
    }
}
