import FoundationEssentials
import Glibc
import SQLite
import Telemetry
import Threading

/// Watches a soak run from the benchmark's side, every 100 ms of real time: the vault's size on
/// disk (main file + WAL) and in use (minus its free pages, what the agent's budget counts), the
/// messages the agent has processed, the upstream sink's cursor; and takes the upstream broker
/// down for the outage day and back.
final class SoakMonitor {
    /// The largest sizes seen in one compressed day.
    struct DaySample {
        var maxFileBytes: Int64 = 0
        var maxUsedBytes: Int64 = 0
        /// The largest WAL seen (it counts against the budget).
        var maxWALBytes: Int64 = 0
        var maxBacklog = 0
    }

    let vaultPath: String
    let clock: CompressedClock
    let start: Int64
    let settings: SoakRun.Settings
    let upstream: UpstreamBroker
    let log: (String) -> Void
    private var connection: Connection?
    private var lastTick = ContinuousClock.now - .seconds(1)
    private(set) var samples: [DaySample] = []
    private(set) var maxBacklog = 0
    /// Real seconds after the start at which the upstream went down and came back.
    private(set) var outageReal: (down: Double?, up: Double?) = (nil, nil)
    private let began = ContinuousClock.now
    private var processed = 0
    private var delivered = 0

    init(vaultPath: String, clock: CompressedClock, start: Int64, settings: SoakRun.Settings, upstream: UpstreamBroker,
         log: @escaping (String) -> Void) throws {
        self.vaultPath = vaultPath
        self.clock = clock
        self.start = start
        self.settings = settings
        self.upstream = upstream
        self.log = log
    }

    /// The compressed day (0-based) now.
    var day: Int { Int((clock.wallMs() - start) / 86_400_000) }

    /// Samples (at most every 100 ms) and runs the outage schedule.
    func tick(published: Int) {
        let now = ContinuousClock.now
        guard now - lastTick >= .milliseconds(100) else { return }
        lastTick = now
        let day = day
        scheduleOutage(day: day)
        if connection == nil { connection = try? Connection(path: vaultPath, readOnly: true) }
        let file = Self.fileBytes(vaultPath)
        var used = file
        if let connection {
            let free = (try? connection.query("PRAGMA freelist_count").first?.first?.integerValue) ?? 0
            let page = (try? connection.query("PRAGMA page_size").first?.first?.integerValue) ?? 4096
            used = max(file - free * page, 0)
            processed = Int((try? connection.query("SELECT value FROM counters WHERE name = 'messages'").first?.first?
                .integerValue) ?? Int64(processed))
            delivered = Int((try? connection.query("SELECT delivered FROM sink_cursors WHERE sink = 'mqtt'").first?.first?
                .integerValue) ?? Int64(delivered))
        }
        let backlog = max(published - processed, 0)
        while samples.count <= day { samples.append(DaySample()) }
        samples[day].maxFileBytes = max(samples[day].maxFileBytes, file)
        samples[day].maxUsedBytes = max(samples[day].maxUsedBytes, used)
        samples[day].maxWALBytes = max(samples[day].maxWALBytes, Self.size(vaultPath + "-wal"))
        samples[day].maxBacklog = max(samples[day].maxBacklog, backlog)
        maxBacklog = max(maxBacklog, backlog)
    }

    /// After publishing: waits until the agent has processed everything published and the
    /// upstream consumer has every record the sink confirmed, or until nothing moved for
    /// `stallSeconds` (the agent blocked for good, say), sampling on.
    func catchUp(published: Int, receiver: SoakReceiver, stallSeconds: Double, agentRunning: () -> Bool) {
        var lastProgress = ContinuousClock.now
        var seen = (processed: -1, delivered: -1, received: -1)
        while agentRunning() {
            tick(published: published)
            let received = receiver.counts.unique
            let outbox = (try? connection?.query("""
                SELECT count(*) FROM readings WHERE id > (SELECT coalesce(max(last_id), 0) FROM sink_cursors WHERE sink = 'mqtt')
                AND (kind != 'event' OR schema_id = 'alert-v1')
                """).first?.first?.integerValue) ?? nil
            if processed >= published, outbox == 0, received >= delivered { return }
            if (processed, delivered, received) != seen {
                seen = (processed, delivered, received)
                lastProgress = ContinuousClock.now
            } else if (ContinuousClock.now - lastProgress).seconds > stallSeconds {
                log("soak: no progress for \(Int(stallSeconds)) s (processed \(processed) of \(published), "
                    + "delivered \(delivered), received \(received)); giving up waiting")
                return
            }
            usleep(100_000)
        }
    }

    private func scheduleOutage(day: Int) {
        guard settings.outageDay > 0 else { return }
        let elapsed = (ContinuousClock.now - began).seconds
        if day == settings.outageDay - 1, upstream.isUp, outageReal.down == nil {
            upstream.stop()
            outageReal.down = elapsed
            log(String(printf: "soak: day %d: the upstream broker is down (%.0f s in)", day + 1, elapsed))
        } else if day >= settings.outageDay, !upstream.isUp {
            do {
                try upstream.start()
                outageReal.up = elapsed
                log(String(printf: "soak: day %d: the upstream broker is back (%.0f s in)", day + 1, elapsed))
            } catch {
                log("soak: the upstream broker did not start again (\(error)); retrying")
            }
        }
    }

    /// The vault's main file plus its WAL, in bytes.
    static func fileBytes(_ path: String) -> Int64 { size(path) + size(path + "-wal") }

    /// One file's size in bytes (0 when absent).
    static func size(_ path: String) -> Int64 {
        var info = stat()
        return stat(path, &info) == 0 ? Int64(info.st_size) : 0
    }
}
