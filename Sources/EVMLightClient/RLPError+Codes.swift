public import ErrorSupport

/// The codes of ``RLPError``.
extension ErrorCode<RLPError> {
    /// The input ends before the item it announces.
    public static var truncated: Self { Self("truncated") }
    /// Bytes remain after the top-level item.
    public static var trailingBytes: Self { Self("trailingBytes") }
    /// A single byte below 0x80 was wrapped in a string header (`0x81 0x05`).
    public static var nonCanonicalSingleByte: Self { Self("nonCanonicalSingleByte") }
    /// A long-form length has leading zero bytes.
    public static var leadingZeroInLength: Self { Self("leadingZeroInLength") }
    /// The long form was used for a payload shorter than 56 bytes.
    public static var nonCanonicalLongForm: Self { Self("nonCanonicalLongForm") }
    /// A length does not fit in `Int` or in the enclosing list.
    public static var lengthOverflow: Self { Self("lengthOverflow") }
    /// Lists are nested deeper than the decoder's limit.
    public static var depthLimitExceeded: Self { Self("depthLimitExceeded") }
    /// A list was found where a byte string was expected, or the reverse.
    public static var unexpectedType: Self { Self("unexpectedType") }
    /// An integer has leading zero bytes (a zero must be the empty string).
    public static var nonCanonicalInteger: Self { Self("nonCanonicalInteger") }
    /// An integer is wider than the target type.
    public static var integerOverflow: Self { Self("integerOverflow") }
    /// A fixed-size byte string (hash, address, bloom) has the wrong length.
    public static var wrongLength: Self { Self("wrongLength") }
    /// A list has the wrong number of elements.
    public static var wrongItemCount: Self { Self("wrongItemCount") }
}
