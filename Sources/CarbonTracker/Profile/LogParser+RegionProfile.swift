import Foundation

extension LogParser.StandardLog {
    /// The energy profile of the run's windows, nested by their times when the event log recorded
    /// them (text logs have no start times: their windows are all roots).
    ///
    /// Shares are of the run's energy: the power series' total when the event log holds one, else the
    /// epochs' energy, else unknown.
    /// - Parameter idleWatts: The power the devices draw idle, for marginal energy; `nil` when unknown.
    /// - Returns: The profile; empty when the run has no windows.
    public func regionProfile(idleWatts: Double? = nil) -> RegionProfile {
        let regions = windows.enumerated().map { index, window -> RegionProfile.Region in
            let joules = window.components.reduce(0) { $0 + $1.energyJoules.reduce(0, +) }
            guard let start = window.startDate?.timeIntervalSince1970,
                let end = window.endDate?.timeIntervalSince1970
            else {
                // Without times nothing nests: each window gets an interval of its own, apart from the others.
                return RegionProfile.Region(
                    name: window.name, startSeconds: Double(index), endSeconds: Double(index) + 0.5,
                    joules: joules,
                    durationSeconds: window.durationSeconds.isFinite ? window.durationSeconds : 0)
            }
            return RegionProfile.Region(
                name: window.name, startSeconds: start, endSeconds: end, joules: joules,
                durationSeconds: window.durationSeconds.isFinite ? window.durationSeconds : nil)
        }
        return RegionProfile(regions: regions, runJoules: runJoules, idleWatts: idleWatts)
    }

    /// The run's energy in joules without PUE: the power series' total, else the epochs' energy.
    var runJoules: Double? {
        if let series = powerSeries { return series.totalJoules }
        guard !epochs.isEmpty else { return nil }
        return epochs.reduce(0) { total, epoch in
            total + epoch.components.reduce(0) { $0 + ($1.measuredEnergyJoules?.reduce(0, +) ?? 0) }
        }
    }
}

extension LogParser.Entry {
    /// The energy profile of the run's windows; see ``LogParser/StandardLog/regionProfile(idleWatts:)``.
    /// - Parameter idleWatts: The power the devices draw idle, for marginal energy; `nil` when unknown.
    /// - Returns: The profile; empty when the run has no windows.
    public func regionProfile(idleWatts: Double? = nil) -> RegionProfile {
        standardLog.regionProfile(idleWatts: idleWatts)
    }
}
