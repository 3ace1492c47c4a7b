import Foundation

/// Writes instants as RFC 3339 UTC timestamps with milliseconds, `2026-11-21T06:34:48.123Z`, or with
/// microseconds, `2026-11-21T06:34:48.123456Z`.
///
/// ```swift
/// var formatter = RFC3339Formatter()
/// var bytes: [UInt8] = []
/// formatter.append(Date(), to: &bytes)
/// ```
///
/// The date and time up to the second are formatted once per second and reused, so a batch of
/// thousands of short epochs costs one `gmtime_r` and a few byte copies per timestamp.
struct RFC3339Formatter {
    private var cachedSecond = Int.min
    /// `YYYY-MM-DDTHH:MM:SS` of ``cachedSecond``.
    private var cachedPrefix: [UInt8] = []

    /// Creates a formatter.
    init() {}

    /// Appends `date` without quotes.
    /// - Parameters:
    ///   - date: The instant.
    ///   - bytes: Where to append.
    ///   - microseconds: `true` for six decimals of the second (truncated), `false` for three.
    mutating func append(_ date: Date, to bytes: inout [UInt8], microseconds: Bool = false) {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite, abs(seconds) < 1e13 else {
            bytes.append(contentsOf: Array("1970-01-01T00:00:00.000Z".utf8))
            return
        }
        let second = Int(seconds.rounded(.down))
        if second != cachedSecond { cache(second) }
        bytes.append(contentsOf: cachedPrefix)
        bytes.append(UInt8(ascii: "."))
        if microseconds {
            let fraction = ((seconds - Double(second)) * 1_000_000).rounded(.down)
            LogTime.appendDigits(&bytes, min(max(Int(fraction), 0), 999_999), width: 6)
        } else {
            LogTime.appendDigits(&bytes, Int(LogTime.milliseconds(date)), width: 3)
        }
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Appends `date` as a quoted JSON string.
    /// - Parameters:
    ///   - date: The instant.
    ///   - bytes: Where to append.
    ///   - microseconds: `true` for six decimals of the second, `false` for three.
    mutating func appendQuoted(_ date: Date, to bytes: inout [UInt8], microseconds: Bool = false) {
        bytes.append(UInt8(ascii: "\""))
        append(date, to: &bytes, microseconds: microseconds)
        bytes.append(UInt8(ascii: "\""))
    }

    /// `date` as a `String`.
    mutating func string(_ date: Date) -> String {
        var bytes: [UInt8] = []
        append(date, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func cache(_ second: Int) {
        var time = time_t(second)
        var parts = tm()
        gmtime_r(&time, &parts)
        cachedSecond = second
        cachedPrefix.removeAll(keepingCapacity: true)
        LogTime.appendDate(&cachedPrefix, parts)
        cachedPrefix.append(UInt8(ascii: "T"))
        LogTime.appendClock(&cachedPrefix, parts)
    }
}
