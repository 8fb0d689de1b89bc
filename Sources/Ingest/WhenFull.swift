/// `[storage] when_full`: what the agent does when the vault is over its byte budget and nothing
/// is delivered, anchored and old enough to prune.
public enum WhenFull: String, Sendable, CaseIterable {
    /// Stop acknowledging: every batch is refused unstored (like a storage outage), so the broker
    /// keeps the backlog, until pruning makes room. The default: nothing is lost.
    case block
    /// Evict the oldest content, delivered or not, anchored or not (each eviction a sealed
    /// `readings_evicted` event naming the id range), and keep storing.
    case evictOldest = "evict-oldest"
}
