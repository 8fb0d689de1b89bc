import Anchoring
import Dispatch
import Fleet
import Ingest
import Logging
import Synchronization

/// Owns the anchoring worker of `vitalgate run` and switches it when a fleet document changes
/// the ledger. Switches run on a serial queue: the old worker finishes its round (which may wait
/// on a slow node) and stops before the new one starts, and the ingest thread never waits.
final class AnchoringControl: LedgerControl {
    private let base: AgentConfig
    private let worker = Mutex<AnchorWorker?>(nil)
    private let queue = DispatchQueue(label: "vitalgate.anchoring-control")
    private let logger = Logger(label: "vitalgate.anchor")

    /// A control for `base`; `start()` runs the worker for `base.ledger`.
    init(base: AgentConfig) { self.base = base }

    /// The configuration with a fleet ledger section laid over `[ledger]`.
    func merged(_ fleet: ConfigSections.Ledger?) -> AgentConfig {
        var config = base
        guard let fleet else { return config }
        config.ledger.backend = fleet.backend.rawValue
        if let endpoint = fleet.endpoint { config.ledger.endpoint = endpoint }
        if let chainID = fleet.chainID { config.ledger.chainID = Int(chainID) }
        if let contract = fleet.contract { config.ledger.contract = contract }
        if let confirmations = fleet.confirmations { config.ledger.confirmations = Int(confirmations) }
        return config
    }

    /// Starts the worker for `[ledger]` unless a persisted fleet ledger already started one. Call
    /// after the vault is open (it migrates the anchor tables). Throws for an unusable `[ledger]`.
    func start() throws {
        let first = try RunCommand.makeAnchorWorker(base)
        queue.async { [self] in
            let started = worker.withLock { current -> Bool in
                if current != nil { return false }
                current = first
                return true
            }
            if started { first.start() }
        }
    }

    func check(_ ledger: ConfigSections.Ledger) throws(ConfigRejection) {
        let config = merged(ledger)
        do {
            try config.validate()
            _ = try RunCommand.makeAnchorWorker(config)  // builds the backend: endpoint, key, contract, finality
        } catch {
            throw ConfigRejection(.applyFailed(detail: "ledger: \(error)"))
        }
    }

    func apply(_ ledger: ConfigSections.Ledger?) {
        let config = merged(ledger)
        queue.async { [self] in
            let old = worker.withLock { current -> AnchorWorker? in defer { current = nil }; return current }
            old?.stop()
            do {
                let next = try RunCommand.makeAnchorWorker(config)
                next.start()
                worker.withLock { $0 = next }
                logger.notice("anchoring switched", metadata: ["backend": "\(config.ledger.backend)"])
            } catch {
                logger.error("anchoring is off: the new ledger cannot be used", metadata: ["error": "\(error)"])
            }
        }
    }

    /// The worker running now, if any (for the HTTP endpoints).
    var current: AnchorWorker? { worker.withLock { $0 } }

    /// Stops the worker after any pending switch.
    func stop() {
        queue.sync {
            let current = worker.withLock { current -> AnchorWorker? in defer { current = nil }; return current }
            current?.stop()
        }
    }
}
