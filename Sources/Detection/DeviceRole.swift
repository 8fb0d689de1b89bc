import Telemetry

/// What a device measures, inferred from the channels of its readings (not from its model
/// name, so new firmware or vendors with the same channels are handled alike).
enum DeviceRole: UInt8, StateCodable, Equatable {
    case unknown, oximeter, ecg, respiration, thermometer, bloodPressure

    init(reading: Reading) {
        var role = DeviceRole.unknown
        for m in reading.measurements {
            switch m.channel {
            case Channel.spo2: role = .oximeter
            case Channel.heartRate, Channel.rrIntervals, Channel.leadOff: role = .ecg
            case Channel.respiratoryRate, Channel.acceleration: role = .respiration
            case Channel.temperature: role = .thermometer
            case Channel.systolic, Channel.cuffStatus: role = .bloodPressure
            default: continue
            }
            if role != .unknown { break }
        }
        self = role
    }

    func encode(to writer: inout StateWriter) { writer.write(rawValue) }
    init(from reader: inout StateReader) throws(DetectionStateError) {
        guard let role = DeviceRole(rawValue: try reader.read()) else { throw DetectionStateError("unknown role") }
        self = role
    }
}

/// Numeric channels with per-channel spike and plausibility rules.
enum TrackedChannel: Int, CaseIterable {
    case spo2, pulseRate, heartRate, respiratoryRate, temperature, systolic, diastolic

    init?(_ channel: String) {
        switch channel {
        case Channel.spo2: self = .spo2
        case Channel.pulseRate: self = .pulseRate
        case Channel.heartRate: self = .heartRate
        case Channel.respiratoryRate: self = .respiratoryRate
        case Channel.temperature: self = .temperature
        case Channel.systolic: self = .systolic
        case Channel.diastolic: self = .diastolic
        default: return nil
        }
    }

    /// Values outside this range are not produced by a living, monitored adult.
    var plausible: ClosedRange<Double> {
        switch self {
        case .spo2: 50...100
        case .pulseRate, .heartRate: 25...250
        case .respiratoryRate: 3...60
        case .temperature: 30...43
        case .systolic: 50...260
        case .diastolic: 20...180
        }
    }

    /// A jump from the channel's short rolling median that a sensor glitch produces and
    /// physiology does not (in one reading), as (threshold, direction: -1 down only, 0 both).
    var jump: (threshold: Double, direction: Int) {
        switch self {
        case .spo2: (9, -1)
        case .pulseRate: (30, 0)
        case .heartRate: (25, 0)
        case .respiratoryRate: (9, 0)
        case .temperature: (1.2, 0)
        case .systolic: (35, 0)
        case .diastolic: (30, 0)
        }
    }

    /// Channels whose frozen value alone indicates a stuck sensor (noisy at 1 Hz).
    var canStick: Bool { self == .pulseRate || self == .heartRate || self == .respiratoryRate }
}
