import EVMLightClient
import Ledger
import Telemetry

/// What an `evm` ticket remembers: the signed transaction in flight and the hashes of the ones
/// it replaced (any of them may be the one that gets mined).
///
/// Stored in ``AnchorTicket/state`` as canonical JSON:
///
///     {"earlier":["0x…"],"maxFeePerGas":"0x…","maxPriorityFeePerGas":"0x…","nonce":7,
///      "rawTransaction":"0x02…","submittedAt":1700000000000,"txHash":"0x…"}
struct EVMTicketState: Sendable, Hashable {
    var transactionHash: [UInt8]
    var rawTransaction: [UInt8]
    var nonce: UInt64
    var maxFeePerGas: UInt64
    var maxPriorityFeePerGas: UInt64
    var submittedAt: Int64
    /// Hashes of transactions this one replaced, oldest first.
    var earlierHashes: [[UInt8]]

    /// The most replaced transactions a ticket remembers.
    static let maximumEarlierHashes = 64

    /// The current and all earlier transaction hashes, newest first.
    var allHashes: [[UInt8]] { [transactionHash] + earlierHashes.reversed() }

    init(transaction: SignedTransaction, maxFeePerGas: UInt64, maxPriorityFeePerGas: UInt64, submittedAt: Int64,
         earlierHashes: [[UInt8]]) {
        transactionHash = transaction.hash
        rawTransaction = transaction.rawBytes
        nonce = transaction.transaction.nonce
        self.maxFeePerGas = maxFeePerGas
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.submittedAt = submittedAt
        self.earlierHashes = Array(earlierHashes.suffix(Self.maximumEarlierHashes))
    }

    func encoded() -> [UInt8] {
        JSONWriter.canonicalBytes(.object([
            ("txHash", NodeValues.hex(transactionHash)),
            ("rawTransaction", NodeValues.hex(rawTransaction)),
            ("nonce", .number(Double(nonce))),
            ("maxFeePerGas", NodeValues.quantity(maxFeePerGas)),
            ("maxPriorityFeePerGas", NodeValues.quantity(maxPriorityFeePerGas)),
            ("submittedAt", .number(Double(submittedAt))),
            ("earlier", .array(earlierHashes.map(NodeValues.hex))),
        ]))
    }

    /// Decodes a ticket's state and checks it is self-consistent (the raw transaction decodes,
    /// hashes to `txHash` and has `nonce`).
    init(ticket: AnchorTicket) throws(LedgerError) {
        func invalid(_ reason: String) -> LedgerError {
            LedgerError(code: .invalidRequest, reason: "evm ticket: \(reason)")
        }
        guard ticket.backend == EVMLedgerBackend.backendName else {
            throw invalid("the ticket was issued by backend \(JSONRPCClient.sanitise(ticket.backend))")
        }
        let document: JSONValue
        do {
            document = try JSONParser(maxBytes: 1 << 20, maxDepth: 4).parse(ticket.state)
        } catch {
            throw invalid("state is not JSON")
        }
        do throws(LedgerError) {
            transactionHash = try NodeValues.fixedData(document["txHash"], "txHash", count: 32)
            rawTransaction = try NodeValues.data(document["rawTransaction"], "rawTransaction", maximumBytes: 1 << 17)
            guard let nonceValue = document["nonce"]?.numberValue, nonceValue >= 0, nonceValue < 9e15,
                  nonceValue == nonceValue.rounded(),
                  let submitted = document["submittedAt"]?.numberValue, submitted == submitted.rounded(),
                  abs(submitted) < 9e15 else {
                throw invalid("nonce or submittedAt is not an integer")
            }
            nonce = UInt64(nonceValue)
            submittedAt = Int64(submitted)
            maxFeePerGas = try NodeValues.uint64(document["maxFeePerGas"], "maxFeePerGas")
            maxPriorityFeePerGas = try NodeValues.uint64(document["maxPriorityFeePerGas"], "maxPriorityFeePerGas")
            guard let earlier = document["earlier"]?.arrayValue, earlier.count <= Self.maximumEarlierHashes else {
                throw invalid("earlier is not a list of hashes")
            }
            var hashes: [[UInt8]] = []
            for item in earlier { hashes.append(try NodeValues.fixedData(item, "earlier hash", count: 32)) }
            earlierHashes = hashes
        } catch {
            throw invalid(error.reason)
        }
        let transaction: SignedTransaction
        do {
            transaction = try SignedTransaction(rawBytes: rawTransaction)
        } catch {
            throw invalid("rawTransaction does not decode")
        }
        guard transaction.hash == transactionHash, transaction.transaction.nonce == nonce else {
            throw invalid("rawTransaction does not match txHash and nonce")
        }
    }
}
