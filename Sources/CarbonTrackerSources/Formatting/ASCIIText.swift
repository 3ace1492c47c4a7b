extension Array where Element == UInt8 {
    /// Appends fixed ASCII text from static memory: one copy, without the `String` UTF-8 view's generic
    /// path (a log line's fixed words, appended for every epoch).
    /// - Parameter text: A string literal.
    @inlinable
    package mutating func append(ascii text: StaticString) {
        append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }
}

extension ComponentKind {
    /// ``rawValue`` as static text, for lines written per epoch.
    package var logName: StaticString {
        switch self {
        case .gpu: "gpu"
        case .cpu: "cpu"
        }
    }
}

extension MeasurementMethod {
    /// ``rawValue`` as static text, for lines written per epoch.
    package var logName: StaticString {
        switch self {
        case .counter: "counter"
        case .sampled: "sampled"
        case .estimated: "estimated"
        case .simulated: "simulated"
        case .incomplete: "incomplete"
        }
    }
}
