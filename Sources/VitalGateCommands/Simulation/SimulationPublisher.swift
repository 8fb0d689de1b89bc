public import MQTT
public import Simulator
import Synchronization

/// Publishes a `TelemetrySimulator` stream to a broker through `MQTTClient`: paced by each
/// message's `at` time (scaled by `speed`), QoS 1, with a bounded window of unacknowledged
/// publications, and at the end waits until the broker has acknowledged every one.
///
/// Used by `vitalgate simulate`, `demo` and `bench ingest`. The client is created inside
/// `run`, so a publisher can be built on one thread and run on another (a `Thread`); other
/// threads may watch `published`/`acknowledged` and call `requestStop()`.
///
/// ```swift
/// let publisher = try SimulationPublisher(configuration: .init(
///     broker: broker.address, simulator: SimulatorConfig(patients: 8, seed: 42), speed: 0))
/// let report = try publisher.run(until: .simulatedSeconds(60), stop: { SignalFlag.stopRequested })
/// ```
public final class SimulationPublisher: Sendable {
    /// Everything a run needs; a value, so it can be handed to another thread.
    public struct Configuration: Sendable {
        /// How to connect (broker, client id, protocol, TLS, credentials).
        public var mqtt: MQTTOptions
        /// What to simulate; equal configurations publish byte-identical streams.
        public var simulator: SimulatorConfig
        /// Time compression: 1 = real time, 10 = ten times faster, 0 = as fast as possible.
        public var speed: Double
        /// Publications allowed without a PUBACK before the publisher waits (>= 1).
        public var maxInFlight: Int
        /// How long the final wait for acknowledgements may take, ms.
        public var drainTimeoutMs: Int

        /// A run with explicit client options (TLS, credentials, session).
        public init(mqtt: MQTTOptions, simulator: SimulatorConfig, speed: Double = 1, maxInFlight: Int = 100,
                    drainTimeoutMs: Int = 30_000) {
            self.mqtt = mqtt
            self.simulator = simulator
            self.speed = speed
            self.maxInFlight = maxInFlight
            self.drainTimeoutMs = drainTimeoutMs
        }

        /// A clean-session client `clientID` on `broker`.
        public init(broker: BrokerAddress, clientID: String = "vitalgate-simulator",
                    protocolVersion: MQTTOptions.ProtocolVersion = .v5, simulator: SimulatorConfig,
                    speed: Double = 1, maxInFlight: Int = 100, drainTimeoutMs: Int = 30_000) {
            self.init(mqtt: MQTTOptions(broker: broker, clientID: clientID, protocolVersion: protocolVersion,
                                        persistentSession: false),
                      simulator: simulator, speed: speed, maxInFlight: maxInFlight, drainTimeoutMs: drainTimeoutMs)
        }
    }

    /// When a run ends by itself; `unbounded` runs until stopped.
    public struct Limit: Sendable, Equatable {
        /// Simulated seconds to cover from the start time (messages with `at` before the end).
        public var simulatedSeconds: Double?
        /// Messages to publish at most.
        public var messages: Int?

        /// Ends at whichever limit comes first; `nil` for none.
        public init(simulatedSeconds: Double? = nil, messages: Int? = nil) {
            self.simulatedSeconds = simulatedSeconds
            self.messages = messages
        }

        /// Until stopped.
        public static let unbounded = Limit()
        /// `seconds` of simulated time.
        public static func simulatedSeconds(_ seconds: Double) -> Limit { Limit(simulatedSeconds: seconds) }
        /// `count` messages.
        public static func messages(_ count: Int) -> Limit { Limit(messages: count) }
    }

    /// The configuration this publisher runs.
    public let configuration: Configuration
    private let stopFlag = Atomic<Bool>(false)
    private let publishedCount = Atomic<Int>(0)
    private let acknowledgedCount = Atomic<Int>(0)

    /// Checks the configuration (simulator ranges, speed, window).
    public init(configuration: Configuration) throws(SimulatorError) {
        try configuration.simulator.validate()
        guard configuration.speed >= 0 && configuration.speed.isFinite else {
            throw SimulatorError(.invalidConfiguration, "speed must be a finite number >= 0")
        }
        guard configuration.maxInFlight >= 1, configuration.drainTimeoutMs >= 0 else {
            throw SimulatorError(.invalidConfiguration, "maxInFlight must be >= 1 and drainTimeoutMs >= 0")
        }
        self.configuration = configuration
    }

    /// Messages published so far by the current or last run (safe from any thread).
    public var published: Int { publishedCount.load(ordering: .relaxed) }

    /// Publications acknowledged so far by the current or last run (safe from any thread).
    public var acknowledged: Int { acknowledgedCount.load(ordering: .relaxed) }

    /// Asks a run (on any thread) to stop publishing, wait for outstanding PUBACKs and return.
    public func requestStop() { stopFlag.store(true, ordering: .relaxed) }

    /// Connects, publishes until `limit` or until `stop()` returns true (polled at least every
    /// 50 ms), waits for the outstanding acknowledgements, disconnects and reports.
    ///
    /// Throws `MQTTError` when the connection fails or is lost, `SimulatorError` for a bad
    /// simulator configuration. Run one at a time per publisher.
    public func run(until limit: Limit = .unbounded, stop: () -> Bool = { false }) throws -> SimulationReport {
        stopFlag.store(false, ordering: .relaxed)
        publishedCount.store(0, ordering: .relaxed)
        acknowledgedCount.store(0, ordering: .relaxed)
        var loop = try PublishLoop(configuration: configuration, limit: limit)
        let client = try MQTTClient(options: configuration.mqtt)
        try client.connect()
        do {
            let report = try loop.run(client: client, stop: { stop() || stopFlag.load(ordering: .relaxed) },
                                      progress: { published, acknowledged in
                                          publishedCount.store(published, ordering: .relaxed)
                                          acknowledgedCount.store(acknowledged, ordering: .relaxed)
                                      })
            client.disconnect()
            return report
        } catch {
            client.abortConnection()
            throw error
        }
    }
}
