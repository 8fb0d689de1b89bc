import FoundationEssentials
import Telemetry

/// What `bench ingest` measured: each round's drains, the in-process pipeline, the steady
/// phase; and the report made of them (per round, JSON, summary).
struct IngestBenchResults {
    /// The in-process pipeline's cost per message.
    struct Pipeline {
        var decodeUs = 0.0
        var storeUs = 0.0
        var sealedStoreUs = 0.0
    }

    let messages: Int
    let rounds: Int
    let hasBaseline: Bool
    var pipeline = Pipeline()
    /// `mosquitto_sub`.
    var raw: [BenchIngestCommand.Drain] = []
    /// The agent's MQTT client alone.
    var floor: [BenchIngestCommand.Drain] = []
    var agent: [BenchIngestCommand.Drain] = []
    var unsealed: [BenchIngestCommand.Drain] = []
    /// Another build's agent, side by side.
    var baseline: [BenchIngestCommand.Drain] = []
    var steady: BenchIngestCommand.SteadyResult?

    /// The lines a round adds to the log.
    func roundReport(_ round: Int) -> String {
        let (r, f, a, u) = (raw.last!, floor.last!, agent.last!, unsealed.last!)
        var lines: [String] = []
        if let b = baseline.last {
            lines.append(String(printf: "  baseline agent %.0f msg/s (draining %.0f, CPU %.1f us/msg); this build / baseline: %.2f",
                                b.rate, b.drainRate, b.consumerCPUus, a.drainRate / b.drainRate))
        }
        lines.append(String(printf: "round %d: raw mosquitto_sub %.0f msg/s, agent %.0f msg/s (ratio %.2f); "
                            + "agent without sealing %.0f msg/s (sealing costs %.1f%%)",
                            round, r.rate, a.rate, a.rate / r.rate, u.rate, (1 - a.rate / u.rate) * 100))
        lines.append(String(printf: "  draining only (no start-up or shutdown): raw %.0f, agent's MQTT client alone %.0f "
                            + "(%.2f of raw), agent %.0f msg/s (ratio %.2f)", r.drainRate, f.drainRate,
                            f.drainRate / r.drainRate, a.drainRate, a.drainRate / r.drainRate))
        lines.append(String(printf: "  CPU per message: mosquitto_sub %.1f us + its broker %.1f us; client alone %.1f us; "
                            + "agent %.1f us + its broker %.1f us; agent without sealing %.1f us", r.consumerCPUus,
                            r.brokerCPUus, f.consumerCPUus, a.consumerCPUus, a.brokerCPUus, u.consumerCPUus))
        return lines.joined(separator: "\n")
    }

    private func median(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.sorted()[values.count / 2] }
    private var medianRaw: Double { median(raw.map(\.rate)) }
    private var medianAgent: Double { median(agent.map(\.rate)) }
    private var medianUnsealed: Double { median(unsealed.map(\.rate)) }
    private var medianDrainRatio: Double { median(zip(agent, raw).map { $0.drainRate / $1.drainRate }) }
    private var medianFloorRatio: Double { median(zip(floor, raw).map { $0.drainRate / $1.drainRate }) }
    private var medianBaselineRatio: Double { median(zip(agent, baseline).map { $0.drainRate / $1.drainRate }) }

    private func rounded(_ value: Double, _ scale: Double = 10) -> JSONValue { .number((value * scale).rounded() / scale) }
    private func rates(_ drains: [BenchIngestCommand.Drain], _ rate: KeyPath<BenchIngestCommand.Drain, Double>) -> JSONValue {
        .array(drains.map { .number($0[keyPath: rate].rounded()) })
    }
    private func cpu(_ drains: [BenchIngestCommand.Drain], _ cpu: KeyPath<BenchIngestCommand.Drain, Double>) -> JSONValue {
        rounded(median(drains.map { $0[keyPath: cpu] }))
    }

    /// The whole result as one JSON object (`--json`).
    var json: JSONValue {
        typealias Members = [(key: String, value: JSONValue)]
        let pipelineMembers: Members = [
            ("messages", .number(Double(messages))), ("rounds", .number(Double(rounds))),
            ("pipeline_decode_us_per_msg", rounded(pipeline.decodeUs, 100)),
            ("pipeline_store_us_per_msg", rounded(pipeline.storeUs, 100)),
            ("pipeline_sealed_store_us_per_msg", rounded(pipeline.sealedStoreUs, 100)),
        ]
        let rateMembers: Members = [
            ("raw_msgs_per_s", rates(raw, \.rate)), ("agent_msgs_per_s", rates(agent, \.rate)),
            ("median_ratio", rounded(medianAgent / medianRaw, 1000)),
            ("raw_drain_msgs_per_s", rates(raw, \.drainRate)),
            ("client_alone_drain_msgs_per_s", rates(floor, \.drainRate)),
            ("agent_drain_msgs_per_s", rates(agent, \.drainRate)),
            ("median_drain_ratio", rounded(medianDrainRatio, 1000)),
            ("median_client_alone_drain_ratio", rounded(medianFloorRatio, 1000)),
            ("client_alone_cpu_us_per_msg", cpu(floor, \.consumerCPUus)),
        ]
        let baselineMembers: Members = [
            ("baseline_agent_drain_msgs_per_s", hasBaseline ? rates(baseline, \.drainRate) : .null),
            ("baseline_agent_cpu_us_per_msg", hasBaseline ? cpu(baseline, \.consumerCPUus) : .null),
            ("median_agent_vs_baseline", hasBaseline ? rounded(medianBaselineRatio, 1000) : .null),
            ("agent_without_sealing_msgs_per_s", rates(unsealed, \.rate)),
            ("median_sealing_cost_fraction", rounded(1 - medianAgent / medianUnsealed, 1000)),
        ]
        let cpuMembers: Members = [
            ("raw_cpu_us_per_msg", cpu(raw, \.consumerCPUus)), ("raw_broker_cpu_us_per_msg", cpu(raw, \.brokerCPUus)),
            ("agent_cpu_us_per_msg", cpu(agent, \.consumerCPUus)), ("agent_broker_cpu_us_per_msg", cpu(agent, \.brokerCPUus)),
            ("agent_without_sealing_cpu_us_per_msg", cpu(unsealed, \.consumerCPUus)),
            ("agent_peak_rss_mib_queued", .number(Double(agent.map(\.peakRSSKiB).max() ?? 0) / 1024)),
        ]
        let steadyMembers: Members = [
            ("steady_rate_msgs_per_s", steady.map { .number($0.achievedRate.rounded()) } ?? .null),
            ("steady_agent_peak_rss_mib", steady.map { rounded(Double($0.peakRSSKiB) / 1024) } ?? .null),
            ("steady_all_stored", steady.map { .bool($0.allStored) } ?? .null),
            ("steady_readings", steady.map { .number(Double($0.readings)) } ?? .null),
            ("steady_quarantined", steady.map { .number(Double($0.quarantined)) } ?? .null),
            ("steady_http_scrapes", steady.map { .number(Double($0.scrapes)) } ?? .null),
            ("steady_http_scrape_failures", steady.map { .number(Double($0.scrapeFailures)) } ?? .null),
        ]
        return .object(pipelineMembers + rateMembers + baselineMembers + cpuMembers + steadyMembers)
    }

    /// The human-readable summary.
    func summary(steadySeconds: Double) -> String {
        var lines = [
            String(printf: "median ratio agent/raw: %.2f (raw %.0f msg/s, agent %.0f msg/s, %d rounds of %d messages)",
                   medianAgent / medianRaw, medianRaw, medianAgent, rounds, messages),
            String(printf: "median ratio while draining (start-up and shutdown left out): %.2f; "
                   + "the agent's MQTT client alone: %.2f", medianDrainRatio, medianFloorRatio),
        ]
        if hasBaseline {
            lines.append(String(printf: "this build / baseline agent while draining (median of rounds): %.2f", medianBaselineRatio))
        }
        lines.append(String(printf: "sealing overhead: agent %.0f msg/s with sealing, %.0f without (%.1f%% of throughput)",
                            medianAgent, medianUnsealed, (1 - medianAgent / medianUnsealed) * 100))
        if let steady {
            lines.append(String(printf: "steady %.0f msg/s for %.0f s: agent peak RSS %.1f MiB, %d readings, "
                                + "%d quarantined, all stored as readings: " + (steady.allStored ? "yes" : "NO"),
                                steady.achievedRate, steadySeconds, Double(steady.peakRSSKiB) / 1024, steady.readings,
                                steady.quarantined))
        }
        return lines.joined(separator: "\n")
    }
}
