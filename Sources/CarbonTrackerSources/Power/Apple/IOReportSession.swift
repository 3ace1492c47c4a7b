import CIOReport

/// One channel's counter in one IOReport sample.
package struct IOReportValue: Equatable, Sendable {
    /// The channel's name ("CPU Energy", "GPU Energy", "ANE", "DRAM", ...).
    var name: String
    /// The counter's unit label ("mJ", "uJ", "nJ").
    var unit: String
    /// The counter, in `unit`.
    var value: Int64
}

/// A subscription to IOReport's "Energy Model" channels, through the `CIOReport` dlopen shim.
///
/// ```swift
/// let session = try IOReportSession(libraryPath: nil)   // macOS: libIOReport and CoreFoundation
/// let values = try session.sample()                   // [IOReportValue(name: "CPU Energy", unit: "mJ", ...)]
/// ```
///
/// Not thread-safe by itself: ``AppleEnergyComponent`` calls it under its lock. A sample costs one
/// IOReport call and a walk over a few dozen channels.
final class IOReportSession {
    private let handle: OpaquePointer
    private var buffer = [cioreport_channel](repeating: cioreport_channel(), count: 128)

    /// Loads the libraries and subscribes.
    /// - Parameter libraryPath: `nil` for the system's libIOReport (macOS only), or a library that provides
    ///   the IOReport and CoreFoundation functions itself.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` and the shim's reason.
    init(libraryPath: String?) throws {
        var reason = [CChar](repeating: 0, count: 512)
        guard let handle = cioreport_open(libraryPath, &reason, reason.count) else {
            throw CarbonTrackerError(.componentUnavailable, Self.string(reason))
        }
        self.handle = handle
    }

    deinit { cioreport_close(handle) }

    /// Every simple channel's counter now.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when IOReport gives no sample.
    func sample() throws -> [IOReportValue] {
        var reason = [CChar](repeating: 0, count: 256)
        let capacity = Int32(buffer.count)
        let count = buffer.withUnsafeMutableBufferPointer {
            cioreport_sample(handle, $0.baseAddress, capacity, &reason, reason.count)
        }
        guard count >= 0 else { throw CarbonTrackerError(.componentUnavailable, Self.string(reason)) }
        return buffer.prefix(Int(count)).map { channel in
            var channel = channel
            let name = withUnsafeBytes(of: &channel.name) { Self.string($0) }
            let unit = withUnsafeBytes(of: &channel.unit) { Self.string($0) }
            return IOReportValue(name: name, unit: unit, value: channel.value)
        }
    }

    private static func string(_ characters: [CChar]) -> String {
        characters.withUnsafeBytes { string($0) }
    }

    private static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}
