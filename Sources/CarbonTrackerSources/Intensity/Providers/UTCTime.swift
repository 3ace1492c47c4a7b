import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// UTC timestamps as the providers write them.
package enum UTCTime {
    /// Parses `2024-05-01T12:30Z`, `2024-05-01T12:30:00.000Z`, `2024-05-01T12:30:00+02:00` or,
    /// with no zone, `2024-05-01T12:30:00` read as UTC.
    package static func parse(_ text: String) -> Date? {
        let scalars = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= scalars.count else { return nil }
            var value = 0
            for byte in scalars[index..<(index + digits)] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            index += digits
            return value
        }
        func expect(_ character: UInt8) -> Bool {
            guard index < scalars.count, scalars[index] == character else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect(45), let month = number(2), expect(45), let day = number(2),
            index < scalars.count, scalars[index] == 84 || scalars[index] == 32
        else { return nil }
        index += 1
        guard let hour = number(2), expect(58), let minute = number(2) else { return nil }
        var second = 0.0
        if expect(58) {
            guard let whole = number(2) else { return nil }
            second = Double(whole)
            if expect(46) {
                var scale = 0.1
                while index < scalars.count, (48...57).contains(scalars[index]) {
                    second += Double(scalars[index] - 48) * scale
                    scale /= 10
                    index += 1
                }
            }
        }
        var offsetSeconds = 0
        let isUTC = expect(90)
        if !isUTC, index < scalars.count, scalars[index] == 43 || scalars[index] == 45 {
            let sign = scalars[index] == 45 ? -1 : 1
            index += 1
            guard let hours = number(2) else { return nil }
            _ = expect(58)
            let minutes = number(2) ?? 0
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        }
        guard index == scalars.count, (1...12).contains(month), (1...31).contains(day), hour < 24,
            minute < 60
        else { return nil }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        let seconds = Double(timegm(&parts)) + second - Double(offsetSeconds)
        return Date(timeIntervalSince1970: seconds)
    }

    /// `2024-05-01T12:30Z`, the minute-precision form of the Carbon Intensity API.
    static func minuteString(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min)
    }
}
