import FoundationEssentials
import Glibc
import MQTT
import Synchronization
import Telemetry
import Threading

/// The cloud side of `soak`: a consumer on the upstream broker, with a persistent session, that
/// records which vault records arrived (by the `record` member, `{gateway}:{id}`) and how many
/// arrived more than once. It reconnects by itself while the broker is down.
final class SoakReceiver: Sendable {
    /// Records seen: a bit per vault id, and the counts.
    struct Tally: Sendable {
        var bits: [UInt64] = []
        var unique = 0
        var duplicates = 0
        /// Messages whose `record` could not be read.
        var unreadable = 0
        var maxID: Int64 = 0

        mutating func insert(_ id: Int64) {
            let word = Int(id / 64), bit = UInt64(1) << UInt64(id % 64)
            if word >= bits.count { bits += Array(repeating: 0, count: max(word + 1 - bits.count, bits.count)) }
            if bits[word] & bit != 0 {
                duplicates += 1
            } else {
                bits[word] |= bit
                unique += 1
                maxID = max(maxID, id)
            }
        }

        func contains(_ id: Int64) -> Bool {
            let word = Int(id / 64)
            return word < bits.count && bits[word] & (UInt64(1) << UInt64(id % 64)) != 0
        }
    }

    private let options: MQTTOptions
    private let filter: String
    private let prefix: [UInt8]
    private let tally = Mutex(Tally())
    private let stopFlag = Atomic<Bool>(false)
    private let done = PThreadSemaphore()

    /// Subscribes `clientID` (persistent) to `filter` on `broker` and waits until the subscription
    /// is in place (a probe comes back), then consumes on a thread of its own.
    init(broker: BrokerAddress, clientID: String, filter: String, gateway: String) throws {
        var options = MQTTOptions(broker: broker, clientID: clientID)
        options.maxInflight = 1000
        self.options = options
        self.filter = filter
        prefix = Array("\(gateway):".utf8)
        let client = try MQTTClient(options: options)
        try client.connect()
        try client.subscribe(filter, qos: 1)
        // `subscribe` does not wait for the SUBACK: a probe on the filter, come back, proves it is in.
        let probeTopic = (filter.hasSuffix("#") ? String(filter.dropLast()) : filter + "/") + "probe"
        _ = try client.publish(MQTTOptions.Message(topic: probeTopic, payload: [1], qos: 1))
        try client.flush()
        let deadline = ContinuousClock.now + .seconds(10)
        var probed = false
        while !probed && ContinuousClock.now < deadline {
            probed = try client.receive(timeoutMs: 50).contains { $0.topic == probeTopic }
            try client.acknowledge()
        }
        client.disconnect()
        guard probed else { throw SoakFailure("the upstream consumer's subscription did not come into place") }
        WorkerThread.start(name: "soak-receiver") { [self] in
            consume()
            done.signal()
        }
    }

    /// What arrived so far.
    var snapshot: Tally { tally.withLock { $0 } }

    /// Counts without copying the bit set.
    var counts: (unique: Int, duplicates: Int) { tally.withLock { ($0.unique, $0.duplicates) } }

    /// Stops consuming (once).
    func stop() {
        guard !stopFlag.exchange(true, ordering: .relaxed) else { return }
        done.wait()
    }

    private func consume() {
        var client: MQTTClient?
        while !stopFlag.load(ordering: .relaxed) {
            do {
                if client == nil {
                    let fresh = try MQTTClient(options: options)
                    try fresh.connect()
                    client = fresh
                }
                guard let connected = client else { continue }
                let messages = try connected.receive(timeoutMs: 100, maxMessages: 1000)
                if !messages.isEmpty {
                    tally.withLock { tally in
                        for message in messages where !message.topic.hasSuffix("/probe") {
                            if let id = recordID(message.payload) { tally.insert(id) } else { tally.unreadable += 1 }
                        }
                    }
                }
                try connected.acknowledge()
            } catch {
                client?.abortConnection()
                client = nil
                usleep(200_000)  // the broker is down (the outage) or restarting
            }
        }
        client?.disconnect()
    }

    /// The vault id in the record's `record` member (`{gateway}:{id}`).
    private func recordID(_ payload: [UInt8]) -> Int64? {
        guard case .string(let record)? = (try? JSONParser().parse(payload))?["record"] else { return nil }
        let bytes = Array(record.utf8)
        guard bytes.starts(with: prefix) else { return nil }
        return Int64(String(decoding: bytes[prefix.count...], as: UTF8.self))
    }
}

/// A soak run that could not be carried out (not a finding: those are in the report).
struct SoakFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
