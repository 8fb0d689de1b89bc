/// Percent-encoding (RFC 3986 §2.1) for the parts of requests the sinks build: search
/// parameters and form bodies.
enum PercentEncoding {
    /// `text` with every byte percent-encoded except ASCII letters, digits and `keeping`;
    /// `spaceAsPlus` writes a space as `+` (form bodies).
    static func encode(_ text: String, keeping: String, spaceAsPlus: Bool = false) -> String {
        let kept = Array(keeping.utf8)
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"):
                out.append(byte)
            case _ where kept.contains(byte):
                out.append(byte)
            case UInt8(ascii: " ") where spaceAsPlus:
                out.append(UInt8(ascii: "+"))
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 15)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
