import CEvent

/// The libevent the HTTP server runs on.
public enum HTTPServerLibrary {
    /// libevent's version as the loaded library reports it (`2.1.12-stable`).
    public static var version: String { String(cString: event_get_version()) }
}
