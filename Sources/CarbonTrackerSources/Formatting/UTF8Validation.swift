/// Whether bytes are well-formed UTF-8, on every platform the package supports (the standard library's
/// `String(validating:as:)` needs macOS 15).
package enum UTF8Validation {
    /// Whether `bytes` are well-formed UTF-8.
    /// - Parameter bytes: Any bytes.
    /// - Returns: `true` when they decode without an error.
    package static func isValid<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Bool {
        var iterator = bytes.makeIterator()
        var decoder = Unicode.UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }
}
