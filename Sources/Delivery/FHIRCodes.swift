/// The codes a reading's channels are charted under (docs/FHIR.md): LOINC as the R4 Vital Signs
/// profiles require, and the ISO/IEEE 11073 MDC code that says how it was measured, so that a
/// pulse rate from the oximeter or the cuff stays apart from the ECG's heart rate.
struct VitalSignCode: Sendable {
    /// LOINC codes, the profile's first (`8867-4` heart rate, ...).
    var loinc: [(code: String, display: String)]
    /// The MDC code (`urn:iso:std:iso:11073:10101`), if one is assigned.
    var mdc: (code: String, display: String)?
    /// What the chart shows (`code.text`).
    var text: String
    /// The UCUM unit's human-readable form (`valueQuantity.unit`).
    var unitDisplay: String

    static let loincSystem = "http://loinc.org"
    static let mdcSystem = "urn:iso:std:iso:11073:10101"
    static let ucumSystem = "http://unitsofmeasure.org"

    static let heartRateByECG = VitalSignCode(
        loinc: [("8867-4", "Heart rate")], mdc: ("147842", "MDC_ECG_HEART_RATE"),
        text: "Heart rate (ECG)", unitDisplay: "beats/minute")
    static let pulseRateByOximetry = VitalSignCode(
        loinc: [("8867-4", "Heart rate"), ("8889-8", "Heart rate by Pulse oximetry")],
        mdc: ("149530", "MDC_PULS_OXIM_PULS_RATE"), text: "Pulse rate (pulse oximeter)", unitDisplay: "beats/minute")
    static let pulseRateByCuff = VitalSignCode(
        loinc: [("8867-4", "Heart rate")], mdc: ("149546", "MDC_PULS_RATE_NON_INV"),
        text: "Pulse rate (blood pressure cuff)", unitDisplay: "beats/minute")
    static let oxygenSaturation = VitalSignCode(
        loinc: [("2708-6", "Oxygen saturation in Arterial blood"),
                ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry")],
        mdc: ("150456", "MDC_PULS_OXIM_SAT_O2"), text: "Oxygen saturation (SpO2)", unitDisplay: "%")
    static let respiratoryRate = VitalSignCode(
        loinc: [("9279-1", "Respiratory rate")], mdc: ("151562", "MDC_RESP_RATE"),
        text: "Respiratory rate", unitDisplay: "breaths/minute")
    static let bodyTemperature = VitalSignCode(
        loinc: [("8310-5", "Body temperature")], mdc: ("150364", "MDC_TEMP_BODY"),
        text: "Body temperature", unitDisplay: "Cel")
    static let bloodPressurePanel = VitalSignCode(
        loinc: [("85354-9", "Blood pressure panel with all children optional")], mdc: ("150020", "MDC_PRESS_BLD_NONINV"),
        text: "Blood pressure", unitDisplay: "mmHg")
    static let systolic = VitalSignCode(
        loinc: [("8480-6", "Systolic blood pressure")], mdc: ("150021", "MDC_PRESS_BLD_NONINV_SYS"),
        text: "Systolic blood pressure", unitDisplay: "mmHg")
    static let diastolic = VitalSignCode(
        loinc: [("8462-4", "Diastolic blood pressure")], mdc: ("150022", "MDC_PRESS_BLD_NONINV_DIA"),
        text: "Diastolic blood pressure", unitDisplay: "mmHg")
    static let meanArterialPressure = VitalSignCode(
        loinc: [("8478-0", "Mean blood pressure")], mdc: ("150023", "MDC_PRESS_BLD_NONINV_MEAN"),
        text: "Mean arterial pressure", unitDisplay: "mmHg")
    static let ecgWaveform = VitalSignCode(
        loinc: [], mdc: ("131328", "MDC_ECG_ELEC_POTL"), text: "ECG", unitDisplay: "uV")
}
