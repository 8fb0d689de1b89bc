import FuzzSupport
import Telemetry

/// The strict JSON parser every payload, fleet document and proof bundle goes through.
/// Oracle: canonical JSON is a fixed point: a parsed document written canonically parses back
/// to a value whose canonical form is the same bytes.
func fuzzJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = bytes(data, size)
    guard let value = try? JSONParser().parse(input) else { return 0 }
    let canonical = JSONWriter.canonicalBytes(value)
    guard let again = try? JSONParser(maxBytes: .max, maxDepth: .max).parse(canonical),
          JSONWriter.canonicalBytes(again) == canonical else {
        finding("canonical JSON is not a fixed point of parse and write")
    }
    return 0
}
