import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Timestamps for log lines (local time, like Python's `logging`) and file names (UTC).
///
/// Formatted by hand into bytes: lines are stamped on the sampling thread's hot path, where
/// `String(format:)` (CFString formatting with dynamic casts) would dominate the cost.
package enum LogTime {
    /// `YYYY-MM-DD HH:MM:SS` in local time.
    package static func line(_ date: Date) -> String {
        String(decoding: lineBytes(date), as: UTF8.self)
    }

    /// `YYYY-MM-DD HH:MM:SS,mmm` in local time.
    package static func lineWithMilliseconds(_ date: Date) -> String {
        var bytes = lineBytes(date)
        bytes.append(UInt8(ascii: ","))
        appendDigits(&bytes, Int(milliseconds(date)), width: 3)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `YYYY-MM-DDTHHMMSSZ` in UTC, as the `Z` says.
    package static func fileStamp(_ date: Date) -> String {
        let t = components(date, utc: true)
        var bytes: [UInt8] = []
        appendDate(&bytes, t)
        bytes.append(UInt8(ascii: "T"))
        appendDigits(&bytes, Int(t.tm_hour), width: 2)
        appendDigits(&bytes, Int(t.tm_min), width: 2)
        appendDigits(&bytes, Int(t.tm_sec), width: 2)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` in UTC (RFC 3339).
    package static func rfc3339(_ date: Date) -> String {
        let t = components(date, utc: true)
        var bytes: [UInt8] = []
        appendDate(&bytes, t)
        bytes.append(UInt8(ascii: "T"))
        appendClock(&bytes, t)
        bytes.append(UInt8(ascii: "Z"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The local `YYYY-MM-DD HH:MM:SS` of `date` as bytes.
    static func lineBytes(_ date: Date) -> [UInt8] {
        let t = components(date, utc: false)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(23)
        appendDate(&bytes, t)
        bytes.append(UInt8(ascii: " "))
        appendClock(&bytes, t)
        return bytes
    }

    /// Milliseconds within the second, 0...999.
    package static func milliseconds(_ date: Date) -> Int32 {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        return min(max(Int32(((date.timeIntervalSince1970 - seconds) * 1000).rounded(.down)), 0), 999)
    }

    /// Appends `value` in decimal, zero-padded to `width` digits (up to 20).
    package static func appendDigits(_ bytes: inout [UInt8], _ value: Int, width: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // Digits last first into a stack buffer, then one copy: a `[UInt8]` append per digit checks
        // capacity and uniqueness each time, and this runs for several numbers of every epoch.
        var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &storage) { raw in
            let out = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let total = max(min(width, 20), DecimalText.digitCount(value.magnitude))
            var rest = value.magnitude
            var index = total &- 1
            while index >= 0 {
                out[index] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
                index &-= 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(start: out, count: total))
        }
    }

    /// Appends `YYYY-MM-DD` of `t`.
    package static func appendDate(_ bytes: inout [UInt8], _ t: tm) {
        appendDigits(&bytes, Int(t.tm_year) + 1900, width: 4)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(&bytes, Int(t.tm_mon) + 1, width: 2)
        bytes.append(UInt8(ascii: "-"))
        appendDigits(&bytes, Int(t.tm_mday), width: 2)
    }

    /// Appends `HH:MM:SS` of `t`.
    package static func appendClock(_ bytes: inout [UInt8], _ t: tm) {
        appendDigits(&bytes, Int(t.tm_hour), width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(&bytes, Int(t.tm_min), width: 2)
        bytes.append(UInt8(ascii: ":"))
        appendDigits(&bytes, Int(t.tm_sec), width: 2)
    }

    private static func components(_ date: Date, utc: Bool) -> tm {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var result = tm()
        if utc { gmtime_r(&time, &result) } else { localtime_r(&time, &result) }
        return result
    }
}

/// The `YYYY-MM-DD HH:MM:SS - ` prefix of standard and output log lines, formatted once per second.
package struct LinePrefix {
    package init() {
    }

    @usableFromInline var second = Int.min
    @usableFromInline var bytes: [UInt8] = []

    /// Appends the prefix for `date` to `target` in place (no copy of the cached bytes to return).
    /// Inlinable: it runs for every log line, and a call across the module boundary would copy through
    /// an unspecialised append.
    /// - Parameters:
    ///   - target: The line's buffer.
    ///   - date: The line's instant.
    @inlinable
    package mutating func append(to target: inout [UInt8], for date: Date) {
        let whole = Int(date.timeIntervalSince1970.rounded(.down))
        if whole != second { refresh(whole, date) }
        bytes.withUnsafeBufferPointer { target.append(contentsOf: $0) }
    }

    @usableFromInline
    mutating func refresh(_ whole: Int, _ date: Date) {
        second = whole
        bytes = LogTime.lineBytes(date) + Array(" - ".utf8)
    }

    /// The prefix for `date`; recomputed only when the second changes.
    package mutating func bytes(for date: Date) -> [UInt8] {
        let whole = Int(date.timeIntervalSince1970.rounded(.down))
        if whole != second {
            second = whole
            bytes = LogTime.lineBytes(date) + Array(" - ".utf8)
        }
        return bytes
    }
}
