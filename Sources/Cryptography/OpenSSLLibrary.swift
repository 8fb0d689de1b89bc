internal import COpenSSL

/// The OpenSSL library (libcrypto) this process runs with.
public enum OpenSSLLibrary {
    /// Its version at run time (`OpenSSL_version(OPENSSL_VERSION_STRING)`), e.g. `3.0.17`.
    public static var version: String { String(cString: OpenSSL_version(Int32(OPENSSL_VERSION_STRING))) }
}
