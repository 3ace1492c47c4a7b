import Foundation

/// The standard-log lines that say who a run is in its job and who measures what; written and read
/// here side by side so the two stay in step.
///
/// ```text
/// Distributed run: job 4711 (slurm), step 0, node node1, rank 1 of 4, local rank 1 of 2, node rank 0, launcher slurm, pid 812
/// Distributed measure: gpu "Sim GPU" [node1/rank 1/gpu/Sim GPU]; rule: a GPU source set up in this process belongs to it
/// Distributed leave: cpu "Sim CPU" [node1/cpu/Sim CPU] to local rank 0; rule: local rank 0 measures the node-shared sources
/// Distributed take-over: cpu "Sim CPU" [node1/cpu/Sim CPU] from rank 0 (pid 811); gap: ...
/// ```
///
/// None of them contains what Python carbontracker 2.4.7's parser looks for ("Duration: ",
/// "Average power usage (W) for", "The following components were found:", "Training was
/// interrupted"), so it reads the file as before.
enum DistributedLogLines {
    static let runPrefix = "Distributed run: "
    static let measurePrefix = "Distributed measure: "
    static let leavePrefix = "Distributed leave: "
    static let takeOverPrefix = "Distributed take-over: "

    /// The line naming the job, step, node and ranks.
    static func run(_ role: DistributedRole) -> String {
        var parts = [
            "job \(role.jobID) (\(role.jobSource))", "step \(role.step)", "node \(role.nodeName)",
            DistributedRole.position("rank", role.rank, of: role.worldSize),
            DistributedRole.position("local rank", role.localRank, of: role.localWorldSize),
        ]
        if let nodeRank = role.nodeRank { parts.append("node rank \(nodeRank)") }
        parts += ["launcher \(role.launcher)", "pid \(role.processID)"]
        return runPrefix + parts.joined(separator: ", ")
    }

    /// A device this process measures.
    static func measure(kind: ComponentKind, device: String, id: String, rule: String) -> String {
        measurePrefix + subject(kind, device, id) + "; rule: " + rule
    }

    /// A device this process leaves to another.
    static func leave(kind: ComponentKind, device: String, id: String, to owner: String, rule: String)
        -> String
    {
        leavePrefix + subject(kind, device, id) + " to " + owner + "; rule: " + rule
    }

    /// A device this process started measuring after its measuring process ended (or never came).
    static func takeOver(kind: ComponentKind, device: String, id: String, from previous: String, gap: String)
        -> String
    {
        takeOverPrefix + subject(kind, device, id) + " from " + previous + "; gap: " + gap
    }

    private static func subject(_ kind: ComponentKind, _ device: String, _ id: String) -> String {
        "\(kind.rawValue) \"\(device)\" [\(id.replacingOccurrences(of: "]", with: ")"))]"
    }

    // MARK: Reading

    /// Reads a run line's text after ``runPrefix``.
    static func parseRun(_ text: String) -> LogParser.DistributedRun? {
        var run = LogParser.DistributedRun(jobID: "", jobSource: "", step: "", nodeName: "", launcher: "")
        var sawJob = false
        for part in text.components(separatedBy: ", ") {
            if let rest = part.dropping("job ") {
                if let open = rest.range(of: " (", options: .backwards), rest.hasSuffix(")") {
                    run.jobID = String(rest[..<open.lowerBound])
                    run.jobSource = String(rest[open.upperBound..<rest.index(before: rest.endIndex)])
                } else {
                    run.jobID = rest
                }
                sawJob = true
            } else if let rest = part.dropping("step ") {
                run.step = rest
            } else if let rest = part.dropping("node rank ") {
                run.nodeRank = Int(rest)
            } else if let rest = part.dropping("node ") {
                run.nodeName = rest
            } else if let rest = part.dropping("local rank ") {
                (run.localRank, run.localWorldSize) = position(rest)
            } else if let rest = part.dropping("rank ") {
                (run.rank, run.worldSize) = position(rest)
            } else if let rest = part.dropping("launcher ") {
                run.launcher = rest
            } else if let rest = part.dropping("pid ") {
                run.processID = Int32(rest)
            }
        }
        return sawJob ? run : nil
    }

    /// Reads a measure, leave or take-over line's text after its prefix.
    static func parseDevice(_ text: String) -> LogParser.DistributedDevice? {
        guard let space = text.firstIndex(of: " ") else { return nil }
        let kind = String(text[..<space])
        let rest = text[text.index(after: space)...]
        guard rest.hasPrefix("\""), let close = rest.range(of: "\" ["),
            let end = rest[close.upperBound...].firstIndex(of: "]")
        else { return nil }
        let device = String(rest[rest.index(after: rest.startIndex)..<close.lowerBound])
        let id = String(rest[close.upperBound..<end])
        let detail = rest[rest.index(after: end)...].trimmingCharacters(in: .whitespaces)
        return LogParser.DistributedDevice(kind: kind, device: device, id: id, detail: detail)
    }

    private static func position(_ text: String) -> (Int?, Int?) {
        let parts = text.components(separatedBy: " of ")
        return (Int(parts[0]), parts.count > 1 ? Int(parts[1]) : nil)
    }
}

extension String {
    fileprivate func dropping(_ prefix: String) -> String? {
        hasPrefix(prefix) ? String(dropFirst(prefix.count)) : nil
    }
}
