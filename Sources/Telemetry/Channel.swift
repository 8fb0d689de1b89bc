/// Canonical channel names shared by schemas, detection and export.
///
/// Schemas may introduce other channel names; these are the ones the shipped device
/// families use and detectors know about.
public enum Channel {
    public static let spo2 = "spo2"                       // %
    public static let pulseRate = "pulse_rate"            // /min (oximeter or cuff)
    public static let perfusionIndex = "perfusion_index"  // %
    public static let battery = "battery"                 // %
    public static let heartRate = "heart_rate"            // /min (ECG)
    public static let rrIntervals = "rr_intervals"        // ms (series)
    public static let leadOff = "lead_off"                // flag
    public static let temperature = "body_temperature"    // Cel
    public static let temperatureSite = "temperature_site"  // text
    public static let systolic = "systolic_pressure"      // mm[Hg]
    public static let diastolic = "diastolic_pressure"    // mm[Hg]
    public static let meanArterial = "mean_arterial_pressure"  // mm[Hg]
    public static let cuffStatus = "cuff_status"          // text: ok|motion|cuff_leak|timeout
    public static let respiratoryRate = "respiratory_rate"  // /min
    public static let posture = "posture"                 // text
    public static let fall = "fall"                       // flag
    public static let acceleration = "acceleration"       // [g] (series x, y, z)
    public static let ecg = "ecg"                         // uV (samples)
    public static let samplingRate = "sampling_rate"      // Hz
    public static let ecgLead = "ecg_lead"                // text
}
