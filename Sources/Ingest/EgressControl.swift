public import Fleet

/// Lets a fleet document change where readings and alerts are delivered. The delivery workers
/// run beside the ingest service (the command line owns them); the service only asks whether an
/// `egress` section can be used before applying a document, and hands it over once applied.
public protocol EgressControl: Sendable {
    /// Checks that `egress` can be used (its sinks can be built), without switching.
    /// - Throws: ``ConfigRejection`` `.applyFailed` naming what is wrong.
    func check(_ egress: ConfigSections.Egress) throws(ConfigRejection)
    /// Switches delivery to `egress` over the local `[egress]` configuration, or back to the
    /// local configuration alone for `nil`. Must not block the caller on the network.
    func apply(_ egress: ConfigSections.Egress?)
}
