/// The National Early Warning Score 2 (Royal College of Physicians, 2017), scale 1 for SpO2,
/// over the parameters a body-area network measures (no consciousness or oxygen flags).
/// Each argument is optional; a missing parameter contributes 0.
enum NEWS2 {
    static func respiratoryRate(_ x: Double) -> Int {
        switch x {
        case ..<8.5: 3
        case ..<11.5: 1
        case ..<20.5: 0
        case ..<24.5: 2
        default: 3
        }
    }

    static func spo2(_ x: Double) -> Int {
        switch x {
        case ..<91.5: 3
        case ..<93.5: 2
        case ..<95.5: 1
        default: 0
        }
    }

    static func systolic(_ x: Double) -> Int {
        switch x {
        case ..<90.5: 3
        case ..<100.5: 2
        case ..<110.5: 1
        case ..<219.5: 0
        default: 3
        }
    }

    static func pulse(_ x: Double) -> Int {
        switch x {
        case ..<40.5: 3
        case ..<50.5: 1
        case ..<90.5: 0
        case ..<110.5: 1
        case ..<130.5: 2
        default: 3
        }
    }

    static func temperature(_ x: Double) -> Int {
        switch x {
        case ..<35.05: 3
        case ..<36.05: 1
        case ..<38.05: 0
        case ..<39.05: 1
        default: 2
        }
    }

    static func score(respiratoryRate: Double?, spo2: Double?, systolic: Double?, pulse: Double?,
                      temperature: Double?) -> Int {
        (respiratoryRate.map(Self.respiratoryRate) ?? 0) + (spo2.map(Self.spo2) ?? 0)
            + (systolic.map(Self.systolic) ?? 0) + (pulse.map(Self.pulse) ?? 0)
            + (temperature.map(Self.temperature) ?? 0)
    }
}
