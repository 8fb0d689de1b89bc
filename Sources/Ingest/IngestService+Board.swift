import MQTT
import Telemetry

/// The figures the pipeline posts on its ``IngestBoard`` for the HTTP endpoints.
extension IngestService {
    /// Posts a copy of the figures if a second has passed since the last (`force`: now).
    func postStatusIfDue(_ transport: any MessageTransport, force: Bool = false) {
        guard let board = configuration.board else { return }
        let now = clock.monotonicMs()
        guard force || boardPost.isDue(at: now) else { return }
        boardPost.ran(at: now)
        var status = IngestStatus()
        status.metrics = metrics
        status.connected = transport.isConnected
        status.startedAt = startedAt
        status.vaultBytes = store.fileBytes
        status.storageMaxBytes = runtime.storageMaxBytes
        status.storageFailing = storage.outage != nil
        status.storageBlocked = storage.budgetFull
        status.detectorStateBytes = detect.savedStateBytes
        status.acknowledgementLagSeconds = oldestUnacknowledgedMs.map { Double(max(0, now - $0)) / 1000 } ?? 0
        status.fleetVersion = fleetState.applied.values.map(\.version).max()
        status.checkpointSize = checkpointSize
        if var view = ward {
            let decoder = decode.decoder
            status.beds = view.beds(now: clock.wallMs(), state: { decoder.state(of: $0) }, pseudonym: { store.pseudonym(of: $0) })
            ward = view
        }
        board.post(status)
    }

    /// The tree size of a checkpoint note (its second line).
    static func treeSize(_ note: String) -> UInt64? {
        let lines = note.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false)
        return lines.count > 1 ? UInt64(lines[1]) : nil
    }
}
