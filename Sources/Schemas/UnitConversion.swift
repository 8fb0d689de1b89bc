/// Conversions from units devices send to the canonical UCUM unit of a channel.
/// A schema names the wire unit (`source_unit`); the loader rejects pairs not listed here.
enum UnitConversion {
    static func converter(from source: String, to target: String) -> (@Sendable (Double) -> Double)? {
        if source == target { return { $0 } }
        switch (source, target) {
        case ("[degF]", "Cel"): return { ($0 - 32) * 5 / 9 }
        case ("K", "Cel"): return { $0 - 273.15 }
        case ("kPa", "mm[Hg]"): return { $0 * 7.500_616_827 }
        case ("s", "ms"): return { $0 * 1000 }
        case ("mV", "uV"): return { $0 * 1000 }
        default: return nil
        }
    }
}
