public import ErrorSupport

/// The one error type thrown by the `Sealing` module: a code, a short reason without reading
/// content, the underlying error (a `Cryptography`, `Transparency` or JSON failure), if any, and
/// the place that detected the failure.
///
/// Descriptions name the rule that failed and, where useful, a field name, an index or a
/// length. They never contain reading content, salts, patient identifiers or key material.
public typealias SealingError = ModuleError<SealingErrorDomain>

/// Names ``SealingError`` in its descriptions; its codes are in `SealingError+Codes.swift`.
public enum SealingErrorDomain: ErrorDomain {
    /// `SealingError`.
    public static let errorName = "SealingError"
}
