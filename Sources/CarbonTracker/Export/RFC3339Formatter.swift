import Foundation

/// Writes instants as RFC 3339 UTC timestamps with milliseconds, `2026-11-21T06:34:48.123Z`.
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
    mutating func append(_ date: Date, to bytes: inout [UInt8]) {
        let seconds = date.timeIntervalSince1970
        guard seconds.isFinite, abs(seconds) < 1e13 else {
            bytes.append(contentsOf: Array("1970-01-01T00:00:00.000Z".utf8))
            return
        }
        let whole = seconds.rounded(.down)
        let second = Int(whole)
        if second != cachedSecond { cache(second) }
        bytes.append(contentsOf: cachedPrefix)
        let millis = min(999, max(0, Int(((seconds - whole) * 1000).rounded(.down))))
        bytes.append(UInt8(ascii: "."))
        Self.appendDigits(millis, count: 3, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
    }

    /// Appends `date` as a quoted JSON string.
    mutating func appendQuoted(_ date: Date, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        append(date, to: &bytes)
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
        Self.appendDigits(Int(parts.tm_year) + 1900, count: 4, to: &cachedPrefix)
        cachedPrefix.append(UInt8(ascii: "-"))
        Self.appendDigits(Int(parts.tm_mon) + 1, count: 2, to: &cachedPrefix)
        cachedPrefix.append(UInt8(ascii: "-"))
        Self.appendDigits(Int(parts.tm_mday), count: 2, to: &cachedPrefix)
        cachedPrefix.append(UInt8(ascii: "T"))
        Self.appendDigits(Int(parts.tm_hour), count: 2, to: &cachedPrefix)
        cachedPrefix.append(UInt8(ascii: ":"))
        Self.appendDigits(Int(parts.tm_min), count: 2, to: &cachedPrefix)
        cachedPrefix.append(UInt8(ascii: ":"))
        Self.appendDigits(Int(parts.tm_sec), count: 2, to: &cachedPrefix)
    }

    /// Appends a non-negative `value` with leading zeros to `count` digits.
    static func appendDigits(_ value: Int, count: Int, to bytes: inout [UInt8]) {
        var divisor = 1
        for _ in 1..<count { divisor *= 10 }
        var rest = max(0, value)
        if rest >= divisor * 10 { rest %= divisor * 10 }
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(rest / divisor))
            rest %= divisor
            divisor /= 10
        }
    }
}
