/// An event log: the emitting contract, up to four 32-byte topics and opaque data.
public struct Log: Sendable, Hashable {
    /// 20 bytes.
    public var address: [UInt8]
    /// 32 bytes each.
    public var topics: [[UInt8]]
    /// The non-indexed event data.
    public var data: [UInt8]

    /// Creates a log.
    public init(address: [UInt8], topics: [[UInt8]], data: [UInt8]) {
        self.address = address
        self.topics = topics
        self.data = data
    }

    /// Decodes `[address, [topic...], data]`.
    public init(item: RLPItem) throws(RLPError) {
        let fields = try item.asList(count: 3, "log")
        address = try fields[0].asFixedBytes(count: 20, "log address")
        topics = try fields[1].asList("log topics").map { topic throws(RLPError) in
            try topic.asFixedBytes(count: 32, "log topic")
        }
        data = try fields[2].asBytes("log data")
    }

    /// The log as an RLP list.
    public var rlpItem: RLPItem {
        .list([.bytes(address), .list(topics.map(RLPItem.bytes)), .bytes(data)])
    }
}
