public import MQTT
import Synchronization

/// The broker options a sink connects with, which can change while it runs: the local alerts
/// sink follows the ingest connection when a fleet document moves the gateway to another
/// broker. A sink reconnects at its next delivery once the version moved.
public final class MQTTOptionsSource: Sendable {
    private let state: Mutex<(options: MQTTOptions, version: Int)>

    /// A source starting at `options`.
    public init(_ options: MQTTOptions) {
        state = Mutex((options, 0))
    }

    /// The options now, and their version (it grows with every update).
    public var current: (options: MQTTOptions, version: Int) { state.withLock { $0 } }

    /// Replaces the options (a no-op when they are the same broker, client and TLS settings).
    public func update(_ options: MQTTOptions) {
        state.withLock { state in
            guard state.options.broker != options.broker || state.options.tls != options.tls
                || state.options.clientID != options.clientID || state.options.username != options.username
                || state.options.password != options.password else { return }
            state = (options, state.version + 1)
        }
    }
}
