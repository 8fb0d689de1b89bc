import Detection
import Telemetry

/// The ingest thread's running view of the beds for the status page: per device its last
/// reading's time, battery and signal; per bed the alerts of the last 15 minutes and a minute
/// by minute hour of heart rate and SpO2. Kept only while the HTTP endpoints are on; bounded
/// (60 minutes, 5 alerts per bed, devices silent for an hour are dropped).
struct WardView {
    private struct DeviceEntry {
        var model: String
        var lastReadingAt: Int64
        var battery: Double?
        var signal: Double?
    }

    private struct MinuteSums {
        var start: Int64
        var heartRate = (sum: 0.0, count: 0)
        var spo2 = (sum: 0.0, count: 0)
    }

    private var devices: [DeviceID: DeviceEntry] = [:]
    private var alerts: [String: [BedStatus.OpenAlert]] = [:]
    private var minutes: [String: [MinuteSums]] = [:]
    /// Pseudonym prefixes by patient identifier (computed once per patient).
    private var pseudonyms: [String: String] = [:]

    static let unassigned = "unassigned"
    static let alertWindowMs: Int64 = 15 * 60_000
    static let historyMinutes = 60

    /// Records a decoded reading of a device whose state is `state`.
    mutating func record(_ reading: Reading, state: DeviceState?) {
        let quality = reading.measurements.compactMap(\.quality).min()
        var entry = devices[reading.device] ?? DeviceEntry(model: reading.model, lastReadingAt: reading.receivedAt)
        entry.model = reading.model
        entry.lastReadingAt = reading.receivedAt
        if let battery = reading.number(Channel.battery) { entry.battery = battery }
        if quality != nil { entry.signal = quality }
        devices[reading.device] = entry
        let bed = Self.bed(of: state)
        let heartRate = reading.number(Channel.heartRate) ?? reading.number(Channel.pulseRate)
        let spo2 = reading.number(Channel.spo2)
        guard heartRate != nil || spo2 != nil else { return }
        let start = reading.receivedAt - reading.receivedAt % 60_000
        var history = minutes[bed] ?? []
        if history.last?.start != start {
            history.append(MinuteSums(start: start))
            history.removeAll { $0.start <= start - Int64(Self.historyMinutes) * 60_000 }
        }
        if let heartRate { history[history.count - 1].heartRate.sum += heartRate; history[history.count - 1].heartRate.count += 1 }
        if let spo2 { history[history.count - 1].spo2.sum += spo2; history[history.count - 1].spo2.count += 1 }
        minutes[bed] = history
    }

    /// Records an alert at the bed of its device.
    mutating func record(_ alert: Alert, state: DeviceState?) {
        let bed = Self.bed(of: state)
        var open = alerts[bed] ?? []
        open.append(BedStatus.OpenAlert(category: alert.category.rawValue, kind: alert.kind, at: alert.t))
        open.removeAll { $0.at < alert.t - Self.alertWindowMs }
        alerts[bed] = Array(open.suffix(5))
    }

    /// The beds as of `now`, each device under the bed its state names; `pseudonym` turns a
    /// patient identifier into its keyed pseudonym.
    mutating func beds(now: Int64, state: (DeviceID) -> DeviceState?, pseudonym: (String) -> [UInt8]) -> [BedStatus] {
        devices = devices.filter { now - $0.value.lastReadingAt < Int64(Self.historyMinutes) * 60_000 }
        var beds: [String: BedStatus] = [:]
        for (id, entry) in devices {
            let deviceState = state(id)
            let name = Self.bed(of: deviceState)
            var bed = beds[name] ?? BedStatus(bed: name, pseudonym: nil, devices: [], openAlerts: [], history: [])
            if let patient = deviceState?.patient, bed.pseudonym == nil {
                if pseudonyms[patient] == nil { pseudonyms[patient] = String(pseudonym(patient).hexString.prefix(12)) }
                bed.pseudonym = pseudonyms[patient]
            }
            bed.devices.append(BedStatus.Device(device: id.rawValue, model: entry.model, lastReadingAt: entry.lastReadingAt,
                                                battery: entry.battery, signalQuality: entry.signal))
            beds[name] = bed
        }
        for (name, var bed) in beds {
            bed.devices.sort { $0.device < $1.device }
            bed.openAlerts = (alerts[name] ?? []).filter { now - $0.at < Self.alertWindowMs }
            bed.history = (minutes[name] ?? []).filter { now - $0.start < Int64(Self.historyMinutes) * 60_000 }.map {
                BedStatus.Minute(start: $0.start,
                                 heartRate: $0.heartRate.count > 0 ? $0.heartRate.sum / Double($0.heartRate.count) : nil,
                                 spo2: $0.spo2.count > 0 ? $0.spo2.sum / Double($0.spo2.count) : nil)
            }
            beds[name] = bed
        }
        if pseudonyms.count > 4 * max(beds.count, 16) { pseudonyms.removeAll() }  // bounded: recomputed on demand
        return beds.values.sorted { ($0.bed == Self.unassigned ? 1 : 0, $0.bed) < ($1.bed == Self.unassigned ? 1 : 0, $1.bed) }
    }

    private static func bed(of state: DeviceState?) -> String {
        guard let state, state.patient != nil, let bed = state.bed, !bed.isEmpty else { return unassigned }
        return bed
    }
}
