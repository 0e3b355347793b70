extension String {
    /// Code-point equality, as Java's `String.equals` and JSON compare strings.
    ///
    /// Swift's `==` treats canonically equivalent strings as equal (`"ü"` precomposed equals `"u"`
    /// with a combining diaeresis); JSON keys and values must not.
    @inlinable
    public func isExactlyEqual(to other: String) -> Bool {
        // Different byte lengths cannot be equal; equal bytes are canonically equal too, so
        // Swift's `==` (fast for ASCII) rules out most pairs before the byte comparison.
        utf8.count == other.utf8.count && self == other && utf8.elementsEqual(other.utf8)
    }
}

/// A dictionary key that hashes and compares strings by their UTF-8 bytes.
struct ExactKey: Hashable {
    let string: String
    static func == (lhs: ExactKey, rhs: ExactKey) -> Bool { lhs.string.isExactlyEqual(to: rhs.string) }
    func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}
