public import Consent
public import ConsentDocuments

/// How the agent takes consent (`[consent]` in the config file): the book every part that lets
/// data leave asks, and the authorities whose signed documents fill it.
public struct ConsentSettings: Sendable {
    /// The consent in force: the deployment's policy and the patients' records. Loaded from the
    /// vault at start; documents accepted over MQTT go in; erasures take records out.
    public var book: ConsentBook
    /// The pinned consent-authority keys; `nil`: no documents are taken (the policy alone decides).
    public var authority: ConsentAuthority?
    /// Groups this gateway belongs to (`[fleet] groups`): it also takes their consent topics.
    public var groups: [String]

    /// Creates the settings.
    public init(book: ConsentBook, authority: ConsentAuthority?, groups: [String] = []) {
        self.book = book
        self.authority = authority
        self.groups = groups
    }
}
