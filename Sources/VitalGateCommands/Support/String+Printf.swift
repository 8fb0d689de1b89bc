import Glibc

extension String {
    /// printf-style formatting through `vsnprintf`, for numbers in reports (FoundationEssentials
    /// has no `String(printf:)`). C conversions only (`%d`, `%.2f`, `%08d`, `%X`); there is no
    /// `%@`, and `%s` is not supported: interpolate Swift strings instead.
    public init(printf format: String, _ arguments: CVarArg...) {
        var capacity = 256
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            let needed = withVaList(arguments) { list in
                buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, capacity, format, list) }
            }
            guard needed >= 0 else { self = format; return }
            if Int(needed) < capacity {
                self = String(decoding: buffer.prefix(Int(needed)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                return
            }
            capacity = Int(needed) + 1
        }
    }
}
