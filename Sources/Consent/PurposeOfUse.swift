/// Why data is disclosed: a code of HL7 v3 `PurposeOfUse` (the value set FHIR R4 Consent's
/// `provision.purpose` binds to, system `http://terminology.hl7.org/CodeSystem/v3-ActReason`).
///
/// The codes a gateway meets are named; any other code of the value set is carried as given
/// (upper-case letters only), so a document naming one is neither refused nor misread.
public struct PurposeOfUse: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The code, e.g. `TREAT`.
    public let rawValue: String

    /// A purpose from its code: 2 to 16 upper-case ASCII letters; `nil` otherwise.
    public init?(rawValue: String) {
        let utf8 = rawValue.utf8
        guard (2...16).contains(utf8.count), utf8.allSatisfy({ (65...90).contains($0) }) else { return nil }
        self.rawValue = rawValue
    }

    private init(code: StaticString) { rawValue = "\(code)" }

    /// The code system of these codes, for FHIR.
    public static let system = "http://terminology.hl7.org/CodeSystem/v3-ActReason"

    /// Treatment.
    public static let treatment = PurposeOfUse(code: "TREAT")
    /// Emergency treatment: break-glass access (``ConsentPolicy/breakGlass``).
    public static let emergencyTreatment = PurposeOfUse(code: "ETREAT")
    /// Healthcare research.
    public static let research = PurposeOfUse(code: "HRESCH")
    /// Healthcare operations.
    public static let operations = PurposeOfUse(code: "HOPERAT")
    /// Healthcare payment.
    public static let payment = PurposeOfUse(code: "HPAYMT")
    /// Public health.
    public static let publicHealth = PurposeOfUse(code: "PUBHLTH")
    /// Patient requested (the patient's own access).
    public static let patientRequested = PurposeOfUse(code: "PATRQT")

    public var description: String { rawValue }

    public static func < (lhs: PurposeOfUse, rhs: PurposeOfUse) -> Bool { lhs.rawValue < rhs.rawValue }
}
