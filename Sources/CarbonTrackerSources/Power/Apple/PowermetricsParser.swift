import Foundation

/// Turns `powermetrics` text output into events as bytes arrive, line by line.
///
/// ```swift
/// var parser = PowermetricsParser()
/// parser.feed(Array("*** Sampled system activity (...) (1002.90ms elapsed) ***\nCPU Power: 823 mW\n".utf8))
/// // [.sample(elapsedSeconds: 1.0029), .power(.cpu, watts: 0.823)]
/// ```
///
/// Understood lines: the sample header with its elapsed time, `CPU Power`, `GPU Power` and
/// `ANE Power` in mW or W (Apple silicon), and Intel Macs' "Intel energy model derived package
/// power" as CPU power. Everything else is skipped; a power line whose value cannot be read is
/// reported as `.malformed`. An unfinished last line waits for its newline. Cost: one pass over
/// each byte.
struct PowermetricsParser {
    /// A power rail powermetrics reports.
    enum Rail: Int, CaseIterable, Sendable {
        case cpu, gpu, ane
    }

    /// Something the output said.
    enum Event: Equatable, Sendable {
        /// A new sample begins; its values cover the `elapsedSeconds` before it was printed.
        case sample(elapsedSeconds: Double?)
        /// A rail's average power over the current sample.
        case power(Rail, watts: Double)
        /// A power line whose value could not be read.
        case malformed(String)
    }

    /// Longest line kept; powermetrics' lines are far shorter, so a longer one is garbage.
    static let maximumLineBytes = 65_536

    private var partial: [UInt8] = []

    /// Parses the complete lines in `bytes` (with what was left over from the last call).
    mutating func feed(_ bytes: some Collection<UInt8>) -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if let event = Self.parse(line: String(decoding: partial, as: UTF8.self)) {
                    events.append(event)
                }
                partial.removeAll(keepingCapacity: true)
            } else if partial.count < Self.maximumLineBytes {
                partial.append(byte)
            }
        }
        return events
    }

    /// Parses one line without its newline.
    static func parse(line: String) -> Event? {
        let text = line.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("*** Sampled system activity") {
            return .sample(elapsedSeconds: elapsedSeconds(text))
        }
        let rails: [(String, Rail)] = [
            ("CPU Power:", .cpu), ("GPU Power:", .gpu), ("ANE Power:", .ane),
            ("Intel energy model derived package power (CPUs+GT+SA):", .cpu),
        ]
        for (prefix, rail) in rails where text.hasPrefix(prefix) {
            guard let watts = watts(text.dropFirst(prefix.count)) else { return .malformed(line) }
            return .power(rail, watts: watts)
        }
        return nil
    }

    /// "(1002.90ms elapsed)" → 1.0029.
    private static func elapsedSeconds(_ header: String) -> Double? {
        guard let end = header.range(of: "ms elapsed)", options: .backwards),
            let start = header[..<end.lowerBound].lastIndex(of: "(")
        else { return nil }
        let number = header[header.index(after: start)..<end.lowerBound].trimmingCharacters(in: .whitespaces)
        guard let milliseconds = Double(number), milliseconds.isFinite, milliseconds > 0 else { return nil }
        return milliseconds / 1000
    }

    /// "823 mW" → 0.823, "2.48W" → 2.48.
    private static func watts(_ value: Substring) -> Double? {
        let text = value.trimmingCharacters(in: .whitespaces)
        let digits = text.prefix { $0.isNumber || $0 == "." }
        let unit = text.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        guard let number = Double(digits), number.isFinite, number >= 0 else { return nil }
        switch unit {
        case "mW": return number / 1000
        case "W": return number
        default: return nil
        }
    }
}
