import Logging
import Sealing
import Vault

/// The seal stage, as the pipeline drives it: sealing is switched on at start (which seals what
/// a crash left open), batches due by age are closed by the housekeeping tick, and a clean stop
/// closes the open batch. Batches that fill up close in the store's own transaction (Vault).
///
/// A failure to seal loses nothing: the readings stay stored and are sealed at a later tick.
struct SealStage {
    /// `nil`: sealing is off (readings are still stored).
    let configuration: SealingConfiguration?
    private let logger: Logger

    init(_ configuration: SealingConfiguration?, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    var isEnabled: Bool { configuration != nil }

    /// Switches sealing on with `policy` (a fleet section's, else the configured one); readings
    /// a crash left in an open batch are sealed before anything new arrives.
    func start(_ store: any PipelineStore, policy: BatchPolicy?, now: Int64) throws(VaultError) {
        guard var sealing = configuration else { return }
        if let policy { sealing.policy = policy }
        let recovered = try store.enableSealing(sealing, now: now)
        if recovered > 0 { logger.notice("sealed batches left open by the last run", metadata: ["batches": "\(recovered)"]) }
    }

    /// Closes the batches that are due. Returns false if sealing failed.
    func tick(_ store: any PipelineStore, now: Int64) -> Bool {
        attempt("sealing failed; the readings stay stored and will be sealed later") { () throws(VaultError) in
            try store.sealingTick(now: now)
        }
    }

    /// Closes the open batch (a clean stop leaves no reading unsealed). Returns false if that failed.
    func sealAll(_ store: any PipelineStore, now: Int64) -> Bool {
        attempt("cannot seal the open batch at shutdown; it is sealed at the next start") { () throws(VaultError) in
            try store.sealAll(now: now)
        }
    }

    /// Runs `seal` if sealing is on; logs `failure` and returns false if it throws.
    private func attempt(_ failure: Logger.Message, _ seal: () throws(VaultError) -> Int) -> Bool {
        guard isEnabled else { return true }
        do { _ = try seal() } catch {
            logger.error(failure, metadata: ["error": "\(error)"])
            return false
        }
        return true
    }
}
