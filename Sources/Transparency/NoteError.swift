public import ErrorSupport

/// The error thrown when parsing, signing or verifying signed notes, verifier keys,
/// checkpoints and cosignatures; its underlying error, if any, is a `Cryptography` failure.
///
/// Descriptions name the rule that failed and, where useful, a key name or line number; they
/// never quote note text.
public typealias NoteError = ModuleError<NoteErrorDomain>

/// Names ``NoteError`` in its descriptions; its codes are in `NoteError+Codes.swift`.
public enum NoteErrorDomain: ErrorDomain {
    /// `NoteError`.
    public static let errorName = "NoteError"
}
