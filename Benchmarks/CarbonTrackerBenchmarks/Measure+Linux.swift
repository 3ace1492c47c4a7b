#if os(Linux)
    import Foundation

    extension Measure {
        /// Resident memory of this process in bytes, from `VmRSS` in `/proc/self/status`.
        static func residentBytes() -> Double? {
            guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else {
                return nil
            }
            for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
                let fields = line.split(separator: " ")
                if fields.count >= 2, let kilobytes = Double(fields[1]) { return kilobytes * 1024 }
            }
            return nil
        }
    }
#endif
