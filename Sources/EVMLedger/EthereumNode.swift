import EVMLightClient
import Ledger
import Telemetry

/// The node calls the backend makes, with their answers decoded (not yet verified).
///
/// Everything returned here is the node's claim. The backend uses claims only as hints (which
/// block, which index) and verifies the data that matters against hashes.
struct EthereumNode: Sendable {
    let rpc: JSONRPCClient

    /// What `eth_getTransactionReceipt` says, reduced to the locators the backend follows.
    struct ReceiptHint: Sendable, Equatable {
        var transactionHash: [UInt8]
        var blockHash: [UInt8]
        var blockNumber: UInt64
        var transactionIndex: UInt64
        var succeeded: Bool
        var gasUsed: UInt64
        var contractAddress: [UInt8]?
    }

    func chainID() throws(LedgerError) -> UInt64 {
        try NodeValues.uint64(rpc.call("eth_chainId"), "eth_chainId")
    }

    func blockNumber() throws(LedgerError) -> UInt64 {
        try NodeValues.uint64(rpc.call("eth_blockNumber"), "eth_blockNumber")
    }

    /// `eth_getTransactionCount(address, tag)` with `tag` `pending` or `latest`.
    func transactionCount(_ address: EthereumAddress, _ tag: String) throws(LedgerError) -> UInt64 {
        try NodeValues.uint64(rpc.call("eth_getTransactionCount", [NodeValues.hex(address.bytes), .string(tag)]),
                              "eth_getTransactionCount")
    }

    func maxPriorityFeePerGas() throws(LedgerError) -> Quantity {
        try NodeValues.quantity(rpc.call("eth_maxPriorityFeePerGas"), "eth_maxPriorityFeePerGas")
    }

    /// The latest block's `baseFeePerGas` (zero for a chain without EIP-1559 base fees).
    func latestBaseFee() throws(LedgerError) -> Quantity {
        let block = try rpc.call("eth_getBlockByNumber", [.string("latest"), .bool(false)])
        guard case .object = block else {
            throw NodeValues.malformed("eth_getBlockByNumber(latest)", "is not a block object")
        }
        guard let fee = block["baseFeePerGas"], !fee.isNull else { return .zero }
        return try NodeValues.quantity(fee, "baseFeePerGas")
    }

    func sendRawTransaction(_ raw: [UInt8]) throws(LedgerError) -> JSONRPCClient.Outcome {
        try rpc.outcome("eth_sendRawTransaction", [NodeValues.hex(raw)])
    }

    /// The receipt hint, or nil when the node knows no receipt for `hash`.
    func receipt(_ hash: [UInt8]) throws(LedgerError) -> ReceiptHint? {
        let value = try rpc.call("eth_getTransactionReceipt", [NodeValues.hex(hash)])
        if value.isNull { return nil }
        guard case .object = value else {
            throw NodeValues.malformed("eth_getTransactionReceipt", "is not an object")
        }
        let status = try NodeValues.uint64(value["status"], "receipt status")
        var contract: [UInt8]?
        if let address = value["contractAddress"], !address.isNull {
            contract = try NodeValues.fixedData(address, "receipt contractAddress", count: 20)
        }
        return ReceiptHint(
            transactionHash: hash,
            blockHash: try NodeValues.fixedData(value["blockHash"], "receipt blockHash", count: 32),
            blockNumber: try NodeValues.uint64(value["blockNumber"], "receipt blockNumber"),
            transactionIndex: try NodeValues.uint64(value["transactionIndex"], "receipt transactionIndex"),
            succeeded: status == 1,
            gasUsed: try NodeValues.uint64(value["gasUsed"], "receipt gasUsed"),
            contractAddress: contract)
    }

    /// Whether the node knows the transaction at all (pending or mined).
    func knowsTransaction(_ hash: [UInt8]) throws(LedgerError) -> Bool {
        let value = try rpc.call("eth_getTransactionByHash", [NodeValues.hex(hash)])
        return !value.isNull
    }

    /// `debug_getRawHeader` by block hash; nil when the node has no such block.
    func rawHeader(hash: [UInt8]) throws(LedgerError) -> [UInt8]? {
        try rawHeader(NodeValues.hex(hash))
    }

    /// `debug_getRawHeader` by block number; nil when the node has no such block.
    func rawHeader(number: UInt64) throws(LedgerError) -> [UInt8]? {
        try rawHeader(NodeValues.quantity(number))
    }

    /// `debug_getRawHeader("latest")`; nil when the node serves none.
    func latestRawHeader() throws(LedgerError) -> [UInt8]? {
        try rawHeader(.string("latest"))
    }

    private func rawHeader(_ block: JSONValue) throws(LedgerError) -> [UInt8]? {
        switch try rpc.outcome("debug_getRawHeader", [block]) {
        case .result(let value):
            if value.isNull { return nil }
            let bytes = try NodeValues.data(value, "debug_getRawHeader", maximumBytes: 64 * 1024)
            return bytes.isEmpty ? nil : bytes
        case .error(let code, let message):
            // geth answers "header not found" / Besu "Block not found" as errors.
            let lower = message.lowercased()
            if lower.contains("not found") || lower.contains("unknown block") { return nil }
            throw LedgerError(code: .rejected, reason: "debug_getRawHeader rejected by the node: \(message) (code \(code))")
        }
    }

    /// The hash the node reports for its canonical block at `number` (`eth_getBlockByNumber`),
    /// nil when it has none. Only a claim: witnesses are compared by it, never trusted alone.
    func canonicalHash(number: UInt64) throws(LedgerError) -> [UInt8]? {
        let block = try rpc.call("eth_getBlockByNumber", [NodeValues.quantity(number), .bool(false)])
        if block.isNull { return nil }
        guard case .object = block else {
            throw NodeValues.malformed("eth_getBlockByNumber", "is not a block object")
        }
        guard try NodeValues.uint64(block["number"], "eth_getBlockByNumber number") == number else {
            throw NodeValues.malformed("eth_getBlockByNumber", "is a block of another number")
        }
        return try NodeValues.fixedData(block["hash"], "eth_getBlockByNumber hash", count: 32)
    }

    /// `debug_getRawReceipts(blockHash)`: the consensus encodings of the block's receipts.
    func rawReceipts(blockHash: [UInt8]) throws(LedgerError) -> [[UInt8]] {
        let value = try rpc.call("debug_getRawReceipts", [NodeValues.hex(blockHash)])
        guard let items = value.arrayValue else {
            throw NodeValues.malformed("debug_getRawReceipts", "is not an array")
        }
        var receipts: [[UInt8]] = []
        receipts.reserveCapacity(items.count)
        for item in items {
            receipts.append(try NodeValues.data(item, "debug_getRawReceipts entry", maximumBytes: 1 << 22))
        }
        return receipts
    }

    /// `eth_getCode(address, latest)`.
    func code(_ address: EthereumAddress) throws(LedgerError) -> [UInt8] {
        try NodeValues.data(rpc.call("eth_getCode", [NodeValues.hex(address.bytes), .string("latest")]), "eth_getCode")
    }
}
