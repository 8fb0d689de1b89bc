import Cryptography
import HTTPServer
import MQTT
import SQLite

/// What `vitalgate --version` prints: this build's version and commit, and the versions of the C
/// libraries it runs with (read from the libraries themselves, so a security update of Debian's
/// shared libraries shows).
public enum BuildInfo {
    /// The release version (set on release; packaging reads it from here).
    public static let version = "0.1.0"

    /// The commit built from (`scripts/stamp-commit.sh`), or `unknown`.
    public static var commit: String { buildCommit }

    /// `vitalgate 0.1.0`, `commit …`, then `SQLite …`, `OpenSSL …`, `libmosquitto …` and
    /// `libevent …`, one a line.
    public static var versionText: String {
        """
        vitalgate \(version)
        commit \(commit)
        SQLite \(SQLiteLibrary.version)
        OpenSSL \(OpenSSLLibrary.version)
        libmosquitto \(MQTTLibrary.version)
        libevent \(HTTPServerLibrary.version)
        """
    }
}
