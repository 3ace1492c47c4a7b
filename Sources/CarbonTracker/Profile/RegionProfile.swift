import Foundation

/// Where a run's energy went, by code region: its windows aggregated by name into a call tree, as a
/// profiler aggregates calls.
///
/// ```swift
/// let profile = RegionProfile(windows: measurements, runJoules: monitor.powerSeries?.totalJoules)
/// print(profile.text())
/// //   Total (J)    Self (J)   Share  Calls   Avg (W)  Region
/// //     120.000      20.000   60.0%     10   150.000  step
/// //      70.000      70.000   35.0%     10   175.000  ├─ backward
/// //      30.000      30.000   15.0%     10   100.000  └─ forward
/// ```
///
/// A window is a child of the shortest window that contains it in time (nesting from containment,
/// whichever thread opened it); windows that overlap without containing each other are siblings.
/// Windows of the same name under the same parent are one node: its calls, total energy (the
/// windows' own energy), self energy (the total less its children's totals), time, share of the
/// run's energy and average power. Every window gets the whole energy of the measured devices over
/// its interval, so children that run at once on several threads can add up to more than their
/// parent, whose self energy is then negative. Energy is without PUE, as in the epoch lines. Cost:
/// one sort of the windows; memory linear in the number of distinct paths.
public struct RegionProfile: Sendable, Equatable {
    /// One window, as the profile needs it.
    public struct Region: Sendable, Equatable {
        /// The window's name.
        public var name: String
        /// When it began, in seconds on any clock shared by the run's regions.
        public var startSeconds: Double
        /// When it ended, on the same clock.
        public var endSeconds: Double
        /// Its energy in joules, all components and devices.
        public var joules: Double
        /// Its duration in seconds, which may be more precise than the times (older event logs keep
        /// window times to the millisecond, durations to the microsecond).
        public var durationSeconds: Double

        /// Creates a region.
        /// - Parameters:
        ///   - name: The window's name.
        ///   - startSeconds: When it began.
        ///   - endSeconds: When it ended.
        ///   - joules: Its energy.
        ///   - durationSeconds: Its duration; `nil` for `endSeconds - startSeconds`.
        public init(
            name: String, startSeconds: Double, endSeconds: Double, joules: Double,
            durationSeconds: Double? = nil
        ) {
            self.name = name
            self.startSeconds = startSeconds
            self.endSeconds = endSeconds
            self.joules = joules
            self.durationSeconds = durationSeconds ?? max(0, endSeconds - startSeconds)
        }
    }

    /// The windows of one name at one place in the tree.
    public struct Node: Sendable, Equatable {
        /// The windows' name.
        public var name: String
        /// How many windows.
        public var calls: Int
        /// Their energy in joules.
        public var totalJoules: Double
        /// Their energy less that of the windows nested in them.
        public var selfJoules: Double
        /// Their time in seconds.
        public var seconds: Double
        /// The nodes of the windows nested directly in these, most energy first.
        public var children: [Node]
        /// Their share of the run's energy (0...1), when it is known.
        public var shareOfRun: Double?
        /// Their energy above the idle power over their time, when an idle power is known.
        public var marginalJoules: Double?

        /// Average power over their time, in watts (0 for no time).
        public var averageWatts: Double { seconds > 0 ? totalJoules / seconds : 0 }
    }

    /// The regions not nested in another, most energy first.
    public var roots: [Node]
    /// The run's energy in joules, which shares are of; `nil` when unknown.
    public var runJoules: Double?
    /// The idle power in watts that marginal energy is above; `nil` when unknown.
    public var idleWatts: Double?

    /// Builds the tree of `regions`.
    /// - Parameters:
    ///   - regions: The windows, in the order they were logged (that order breaks ties of equal times).
    ///   - runJoules: The run's energy, for each node's share; `nil` when unknown.
    ///   - idleWatts: The power the devices draw idle, for marginal energy; `nil` when unknown.
    public init(regions: [Region], runJoules: Double? = nil, idleWatts: Double? = nil) {
        self.runJoules = runJoules
        self.idleWatts = idleWatts
        var builder = TreeBuilder()
        // Parents before the windows they contain: earlier start first, then the longer, then the one
        // logged later (a window is logged when it ends, so an enclosing one of equal times comes after).
        let order = regions.indices.sorted { a, b in
            let (x, y) = (regions[a], regions[b])
            if x.startSeconds != y.startSeconds { return x.startSeconds < y.startSeconds }
            let (xLength, yLength) = (x.durationSeconds, y.durationSeconds)
            if xLength != yLength { return xLength > yLength }
            return a > b
        }
        var open: [(end: Double, node: Int)] = []
        for index in order {
            let region = regions[index]
            while let top = open.last, region.endSeconds > top.end { open.removeLast() }
            let node = builder.child(of: open.last?.node, named: region.name)
            builder.add(region, to: node)
            open.append((region.endSeconds, node))
        }
        roots = builder.tree(runJoules: runJoules, idleWatts: idleWatts)
    }

    /// Builds the tree of measured windows (``EnergyMonitor/endWindow(_:)``'s results).
    /// - Parameters:
    ///   - windows: The measurements, in the order they ended.
    ///   - runJoules: The run's energy, for each node's share; `nil` when unknown.
    ///   - idleWatts: The power the devices draw idle, for marginal energy; `nil` when unknown.
    public init(windows: [WindowMeasurement], runJoules: Double? = nil, idleWatts: Double? = nil) {
        self.init(
            regions: windows.map { window in
                Region(
                    name: window.name, startSeconds: window.startDate.timeIntervalSince1970,
                    endSeconds: window.endDate.timeIntervalSince1970,
                    joules: window.components.reduce(0) { $0 + $1.joules.reduce(0, +) })
            }, runJoules: runJoules, idleWatts: idleWatts)
    }

    /// Every node, depth first, with its depth (0 for roots).
    public var flattened: [(depth: Int, node: Node)] {
        var result: [(depth: Int, node: Node)] = []
        func visit(_ node: Node, _ depth: Int) {
            result.append((depth, node))
            for child in node.children { visit(child, depth + 1) }
        }
        for root in roots { visit(root, 0) }
        return result
    }

    /// The tree as a profiler prints a call tree: one line per node, with its figures in columns.
    /// - Returns: Lines ending in a newline; a header line first.
    public func text() -> String {
        var lines: [String] = []
        var header = ["Total (J)", "Self (J)", "Share", "Calls", "Avg (W)"]
        if idleWatts != nil { header.append("Above idle (J)") }
        let widths = [12, 12, 7, 7, 10, 16]
        func row(_ cells: [String], _ label: String) -> String {
            zip(cells, widths).map { String(repeating: " ", count: max(1, $1 - $0.count)) + $0 }.joined()
                + "  " + label
        }
        lines.append(row(header, "Region"))
        func visit(_ node: Node, prefix: String, branch: String, childPrefix: String) {
            var cells = [
                Self.fixed(node.totalJoules, 3), Self.fixed(node.selfJoules, 3),
                node.shareOfRun.map { Self.fixed($0 * 100, 1) + "%" } ?? "-", String(node.calls),
                Self.fixed(node.averageWatts, 3),
            ]
            if idleWatts != nil { cells.append(node.marginalJoules.map { Self.fixed($0, 3) } ?? "-") }
            lines.append(row(cells, prefix + branch + node.name))
            for (index, child) in node.children.enumerated() {
                let last = index == node.children.count - 1
                visit(
                    child, prefix: childPrefix, branch: last ? "└─ " : "├─ ",
                    childPrefix: childPrefix + (last ? "   " : "│  "))
            }
        }
        for root in roots { visit(root, prefix: "", branch: "", childPrefix: "") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `value` with `digits` decimals, rounded half away from zero.
    package static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 1e18 else { return value.description }
        let units = UInt64(scaled)
        let whole = units / UInt64(scale)
        var text = (value < 0 && units > 0 ? "-" : "") + String(whole)
        if digits > 0 {
            let fraction = String(units % UInt64(scale))
            text += "." + String(repeating: "0", count: digits - fraction.count) + fraction
        }
        return text
    }
}

/// The nodes of a region tree as they are built: flat, each with its parent and its children by name.
private struct TreeBuilder {
    struct Entry {
        var name: String
        var calls = 0
        var joules = 0.0
        var seconds = 0.0
        var children: [String: Int] = [:]
    }

    var entries: [Entry] = []
    var roots: [String: Int] = [:]

    mutating func child(of parent: Int?, named name: String) -> Int {
        if let parent {
            if let existing = entries[parent].children[name] { return existing }
            entries.append(Entry(name: name))
            entries[parent].children[name] = entries.count - 1
        } else {
            if let existing = roots[name] { return existing }
            entries.append(Entry(name: name))
            roots[name] = entries.count - 1
        }
        return entries.count - 1
    }

    mutating func add(_ region: RegionProfile.Region, to node: Int) {
        entries[node].calls += 1
        entries[node].joules += region.joules
        entries[node].seconds += region.durationSeconds
    }

    func tree(runJoules: Double?, idleWatts: Double?) -> [RegionProfile.Node] {
        func node(_ index: Int) -> RegionProfile.Node {
            let entry = entries[index]
            let children = entry.children.values.map(node).sorted(by: Self.moreEnergyFirst)
            return RegionProfile.Node(
                name: entry.name, calls: entry.calls, totalJoules: entry.joules,
                selfJoules: entry.joules - children.reduce(0) { $0 + $1.totalJoules }, seconds: entry.seconds,
                children: children,
                shareOfRun: runJoules.flatMap { $0 > 0 ? entry.joules / $0 : nil },
                marginalJoules: idleWatts.map { entry.joules - $0 * entry.seconds })
        }
        return roots.values.map(node).sorted(by: Self.moreEnergyFirst)
    }

    static func moreEnergyFirst(_ a: RegionProfile.Node, _ b: RegionProfile.Node) -> Bool {
        a.totalJoules != b.totalJoules ? a.totalJoules > b.totalJoules : a.name < b.name
    }
}
