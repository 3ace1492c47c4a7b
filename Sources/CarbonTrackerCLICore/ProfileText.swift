import CarbonTracker
import Foundation

/// What `carbontracker --profile` prints: for each run, a heading and its region profile.
enum ProfileText {
    /// The profiles of `entries`, one block per run.
    /// - Parameters:
    ///   - entries: Parsed runs.
    ///   - idleWatts: The devices' idle power, for marginal energy; `nil` when unknown.
    static func describe(_ entries: [LogParser.Entry], idleWatts: Double?) -> String {
        var blocks: [String] = []
        for entry in entries {
            let file = entry.eventLogFile ?? entry.standardFile
            let run = (file as NSString).lastPathComponent
            let profile = entry.regionProfile(idleWatts: idleWatts)
            var heading = "Energy profile of \(run)"
            if let joules = profile.runJoules {
                heading += ": \(RegionProfile.fixed(joules, 3)) J in the run"
            }
            guard !profile.roots.isEmpty else {
                blocks.append(heading + "\nNo regions: the run has no windows.\n")
                continue
            }
            var note = ""
            if entry.windows.contains(where: { $0.startDate == nil }) {
                note = "(Not nested: the text log has no window start times; the event log has.)\n"
            }
            blocks.append(heading + "\n" + note + profile.text())
        }
        return blocks.joined(separator: "\n")
    }
}
