import Delivery
import Fleet
import Ingest
import Logging
import Threading
import Vault

/// The delivery workers of the `[egress]` sinks, switched when a fleet document changes where
/// data goes (`ConfigSections.Egress` over the local `[egress]`). A switch runs on the
/// supervisor's own thread: stopping a worker waits for its attempt under way (an upload may
/// take its whole timeout), which the ingest thread must not.
///
/// Each sink keeps its cursor across a switch (cursors are named by sink kind), so a FHIR server
/// moved to a new address receives what the old one had not; a new sink starts at the
/// beginning of the vault.
final class EgressSupervisor: EgressControl, @unchecked Sendable {
    // @unchecked Sendable is safe: `desired`, `version` and `stopping` are read and written only
    // with `condition`'s mutex held; `workers` and `appliedVersion` belong to the supervisor
    // thread after `start()`, and to the caller before it and after `stop()` returned;
    // `publishedWorkers` is read and written only with `published` locked.
    private let base: AgentConfig
    private let keys: any KeyStore
    private let consent: AgentConsent
    private let logger = Logger(label: "vitalgate.egress")
    private let condition = PThreadCondition()
    private let finished = PThreadSemaphore()
    private var desired: ConfigSections.Egress?
    private var version = 0
    private var stopping = false
    private var workers: [DeliveryWorker] = []
    /// A copy of `workers` for other threads (the HTTP endpoints), under `published`'s lock.
    private let published = PThreadLock()
    private var publishedWorkers: [DeliveryWorker] = []
    private var appliedVersion = -1

    /// A supervisor for `base`'s `[egress]`, its sinks checking `consent` (by default, `base`'s
    /// default policy); nothing runs before `start()`.
    init(base: AgentConfig, keys: any KeyStore, consent: AgentConsent? = nil) {
        self.base = base
        self.keys = keys
        self.consent = consent ?? AgentConsent(base)
    }

    /// The configuration `egress` makes of the base one.
    /// - Throws: ``ConfigRejection`` `.applyFailed` if the result is not a valid configuration.
    static func effective(_ base: AgentConfig, _ egress: ConfigSections.Egress?) throws(ConfigRejection) -> AgentConfig {
        guard let egress else { return base }
        var config = base
        config.egress.fhir = egress.fhir
        config.egress.upstream = egress.upstream
        if let topic = egress.upstreamTopic { config.egress.upstreamTopic = topic }
        if let system = egress.patientIdentifierSystem { config.egress.patientIdentifierSystem = system }
        do { try config.validate() } catch {
            throw ConfigRejection(.applyFailed(detail: "egress: \(error.key ?? "-"): \(error.reason)"))
        }
        return config
    }

    func check(_ egress: ConfigSections.Egress) throws(ConfigRejection) {
        let config = try Self.effective(base, egress)
        do { _ = try RunCommand.makeEgressWorkers(config, keys: keys, consent: consent) } catch {
            throw ConfigRejection(.applyFailed(detail: "egress: \(error)"))
        }
    }

    func apply(_ egress: ConfigSections.Egress?) {
        condition.lock()
        desired = egress
        version += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Starts the workers of the configuration in force and the supervisor thread.
    /// - Throws: when the local `[egress]` sinks cannot be built (a startup error).
    func start() throws {
        condition.lock()
        let (first, firstVersion) = (desired, version)
        condition.unlock()
        workers = try RunCommand.makeEgressWorkers(try Self.effective(base, first), keys: keys, consent: consent)
        published.withLock { publishedWorkers = workers }
        appliedVersion = firstVersion
        for worker in workers { worker.start() }
        WorkerThread.start(name: "vitalgate-egress") { [self] in supervise() }
    }

    /// Stops the supervisor and the workers (each after its attempt under way).
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        finished.wait()
    }

    /// The delivery workers running now (for the HTTP endpoints).
    var currentWorkers: [DeliveryWorker] { published.withLock { publishedWorkers } }

    private func supervise() {
        while true {
            condition.lock()
            while !stopping && version == appliedVersion { condition.wait() }
            let (egress, target, stop) = (desired, version, stopping)
            condition.unlock()
            if stop { break }
            switchTo(egress, version: target)
        }
        for worker in workers { worker.stop() }
        finished.signal()
    }

    private func switchTo(_ egress: ConfigSections.Egress?, version target: Int) {
        appliedVersion = target
        let next: [DeliveryWorker]
        do {
            next = try RunCommand.makeEgressWorkers(try Self.effective(base, egress), keys: keys, consent: consent)
        } catch {
            logger.error("delivery not switched: the new sinks cannot be built", metadata: ["error": "\(error)"])
            return
        }
        for worker in workers { worker.stop() }
        workers = next
        published.withLock { publishedWorkers = next }
        for worker in workers { worker.start() }
        logger.notice("delivery switched", metadata: ["sinks": "\(workers.count)", "fleet": "\(egress != nil)"])
    }
}
