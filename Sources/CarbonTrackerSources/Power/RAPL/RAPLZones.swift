import Foundation

/// One RAPL power zone to measure: a CPU package or its DRAM.
struct RAPLZone: Equatable, Sendable {
    /// The device name in logs: `cpu:N` or `dram:N`, as Python carbontracker names them.
    var device: String
    /// The zone's directory.
    var directory: String
    /// The zone's `energy_uj` counter.
    var energyPath: String { directory + "/energy_uj" }
    /// The value at which `energy_uj` wraps to zero, in microjoules; `nil` when the kernel does not say.
    var rangeMicrojoules: UInt64?
}

/// Finds the RAPL zones under a powercap directory.
///
/// ```swift
/// let zones = try RAPLZones.discover(root: "/sys/class/powercap", reader: .posix)
/// zones.map(\.device)   // ["cpu:0", "dram:0"]
/// ```
///
/// Measured: every top-level zone `intel-rapl:N` named `package-N` (AMD's packages carry the
/// same names) and each package's `dram` subzone. Skipped: `psys` (the whole platform, which
/// contains the packages), the `core` and `uncore` subzones (inside the package), and the
/// `intel-rapl-mmio` copies of the package counter. A subzone appears both inside its package and
/// as a link at the top level; it is counted once. Cost: a directory listing and a few reads.
package enum RAPLZones {
    /// Lists the zones to measure, packages in order, each followed by its DRAM.
    /// - Throws: ``CarbonTrackerError`` with code `.componentUnavailable` when the directory is
    ///   missing or holds no package zone.
    static func discover(root: String, reader: SysfsReader) throws -> [RAPLZone] {
        guard !root.isEmpty else {
            throw CarbonTrackerError(
                .componentUnavailable,
                "RAPL energy counters are read from Linux's powercap tree, which this system does not have "
                    + "(set CARBONTRACKER_RAPL_DIR to read a copy of one).")
        }
        let entries: [String]
        do {
            entries = try FileManager.default.contentsOfDirectory(atPath: root)
        } catch {
            throw CarbonTrackerError(
                .componentUnavailable,
                "\(root) cannot be listed, so there is no RAPL energy counter (not Linux, a virtual machine, "
                    + "or a container without /sys/class/powercap; set CARBONTRACKER_RAPL_DIR where it is mounted)."
            )
        }
        var zones: [RAPLZone] = []
        var seenDirectories: Set<String> = []
        for (index, entry) in topLevelZones(entries) {
            let directory = "\(root)/\(entry)"
            guard let name = zoneName(directory, reader), name != "psys" else { continue }
            let number = packageNumber(name) ?? index
            if name.hasPrefix("package") {
                guard claim(directory, &seenDirectories) else { continue }
                zones.append(zone("cpu:\(number)", directory, reader))
                let nested = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
                let subzones =
                    subzoneNames(of: index, in: nested).map { "\(directory)/\($0)" }
                    + subzoneNames(of: index, in: entries).map { "\(root)/\($0)" }
                for subzone in subzones where zoneName(subzone, reader) == "dram" {
                    guard claim(subzone, &seenDirectories) else { continue }
                    if !zones.contains(where: { $0.device == "dram:\(number)" }) {
                        zones.append(zone("dram:\(number)", subzone, reader))
                    }
                }
            } else if name == "dram", claim(directory, &seenDirectories) {
                zones.append(zone("dram:\(number)", directory, reader))
            }
        }
        guard zones.contains(where: { $0.device.hasPrefix("cpu:") }) else {
            throw CarbonTrackerError(
                .componentUnavailable,
                "\(root) holds no RAPL package zone (intel-rapl:N named package-N); the CPU has no energy "
                    + "counter the kernel exposes.")
        }
        return zones
    }

    /// The one message for unreadable counters: each file, the command that fixes it, the lasting fix.
    static func permissionMessage(_ paths: [String]) -> String {
        "Could not read CPU/DRAM energy consumption due to lack of read-permissions on "
            + paths.joined(separator: " and ") + ". Please run: sudo chmod +r " + paths.joined(separator: " ")
            + " (lasts until reboot; Linux 5.10 and later make these files root-only). To keep access, "
            + "install this udev rule (see \"What is measured and how\" in the CarbonTracker documentation): "
            + udevRule
    }

    /// The udev rule that keeps RAPL counters readable across reboots.
    package static let udevRule =
        #"ACTION=="add", SUBSYSTEM=="powercap", KERNEL=="intel-rapl:*", RUN+="/bin/chmod a+r %S%p/energy_uj""#

    /// `intel-rapl:N` entries with their N, in numeric order.
    private static func topLevelZones(_ entries: [String]) -> [(Int, String)] {
        entries.compactMap { entry -> (Int, String)? in
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == "intel-rapl", let index = Int(parts[1]) else { return nil }
            return (index, entry)
        }.sorted { $0.0 < $1.0 }
    }

    /// `intel-rapl:N:M` entries of package N.
    private static func subzoneNames(of package: Int, in entries: [String]) -> [String] {
        entries.filter { entry in
            let parts = entry.split(separator: ":", omittingEmptySubsequences: false)
            return parts.count == 3 && parts[0] == "intel-rapl" && Int(parts[1]) == package
                && Int(parts[2]) != nil
        }.sorted()
    }

    private static func zoneName(_ directory: String, _ reader: SysfsReader) -> String? {
        guard case .success(let text) = reader.read(directory + "/name") else { return nil }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func packageNumber(_ name: String) -> Int? {
        guard name.hasPrefix("package-") else { return nil }
        return Int(name.dropFirst("package-".count))
    }

    private static func zone(_ device: String, _ directory: String, _ reader: SysfsReader) -> RAPLZone {
        var range: UInt64?
        if case .success(let text) = reader.read(directory + "/max_energy_range_uj") {
            range = UInt64(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return RAPLZone(device: device, directory: directory, rangeMicrojoules: range)
    }

    /// Records a zone's real location; `false` when it was already taken under another name.
    private static func claim(_ directory: String, _ seen: inout Set<String>) -> Bool {
        let real = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
        return seen.insert(real).inserted
    }
}
