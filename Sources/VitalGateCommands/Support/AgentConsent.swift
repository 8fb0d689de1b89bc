import Consent
import Delivery

/// The agent's consent where data leaves: one book for every sink (and the local alerts topic),
/// and where disclosures are recorded once a receiver confirmed.
struct AgentConsent: Sendable {
    /// The book every sink asks.
    let book: ConsentBook
    /// Where each disclosure is recorded.
    let recorder: any DisclosureRecorder

    /// The consent of `config`: a book under its policy (`[consent]`), holding no record, and a
    /// recorder that logs (the sealed disclosure log replaces it). The agent shares the book
    /// ingest loads instead (`AgentConfig.consentSettings()`).
    init(_ config: AgentConfig, recorder: any DisclosureRecorder = LoggingDisclosureRecorder()) {
        book = ConsentBook(policy: config.consentPolicy)
        self.recorder = recorder
    }

    init(book: ConsentBook, recorder: any DisclosureRecorder) {
        self.book = book
        self.recorder = recorder
    }
}
