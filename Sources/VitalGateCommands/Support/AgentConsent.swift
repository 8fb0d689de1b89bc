import Consent
import Delivery

/// The agent's consent where data leaves: one book for every sink (and the local alerts topic).
/// Each sink accounts its disclosures in the vault with its cursor (`AgentConfig.sinkConsent`).
struct AgentConsent: Sendable {
    /// The book every sink asks.
    let book: ConsentBook

    /// The consent of `config`: a book under its policy (`[consent]`), holding no record. The
    /// agent shares the book ingest loads instead (`AgentConfig.consentSettings()`).
    init(_ config: AgentConfig) {
        book = ConsentBook(policy: config.consentPolicy)
    }

    init(book: ConsentBook) {
        self.book = book
    }
}
