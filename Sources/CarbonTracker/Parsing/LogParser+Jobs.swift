import Foundation

extension LogParser {
    /// One distributed job's total, built from the logs of all its ranks, each device counted once.
    ///
    /// ```swift
    /// for job in try LogParser.jobs(logDir: "logs").jobs {
    ///     print(job.total.jobID, job.total.nodes.count, job.total.energyKilowattHours)
    /// }
    /// ```
    ///
    /// Every device is measured by exactly one process at a time (see <doc:Clusters>),
    /// so the job's energy is the sum of its runs' energies. A run without a final report
    /// (a killed rank) counts its finished epochs and the last checkpoint of the epoch it was in.
    public struct JobTotal: Sendable, Equatable {
        /// The job's identity.
        public var jobID: String
        /// Where the job id came from ("slurm", "torchrun", ...).
        public var jobSource: String
        /// The launchers its runs detected.
        public var launchers: [String]
        /// The job steps, sorted.
        public var steps: [String]
        /// The nodes, sorted.
        public var nodes: [String]
        /// The distinct ranks, sorted (empty when the launcher gave none).
        public var ranks: [Int]
        /// The number of runs (processes that tracked).
        public var processes: Int
        /// Energy per component, each device once.
        public var components: [JobComponent]
        /// The earliest first line of any run, as written (local time).
        public var firstTimestamp: String?
        /// The latest last line of any run, as written (local time).
        public var lastTimestamp: String?
        /// Wall time from the earliest start to the latest end, in seconds (1 s resolution).
        public var durationSeconds: Double?
        /// Energy in kilowatt-hours, with the PUE factor.
        public var energyKilowattHours: Double
        /// Grams of CO2-equivalent.
        public var co2eqGrams: Double
        /// Everyday equivalents of the CO2eq, when the runs' reports gave them.
        public var equivalents: [ConsumptionReport.Equivalent]
        /// Low and high bounds of the energy in kilowatt-hours, with the PUE factor; `nil` when the log
        /// gives none (Python logs, logs from before ranges).
        public var energyKilowattHoursRange: ClosedRange<Double>? = nil
        /// Low and high bounds of the grams of CO2-equivalent; `nil` when the log gives none.
        public var co2eqGramsRange: ClosedRange<Double>? = nil
        /// What could not be counted exactly, one sentence each.
        public var warnings: [String]

        /// The line `carbontracker --parse` prints for the job:
        /// "Job 4711 (slurm): 2 nodes × 4 ranks, 0:00:03, 0.000531234567 kWh, 0.236399282315 g CO2eq",
        /// with the bounds in parentheses after each figure when the logs gave them
        /// ("0.000531234567 kWh (0.000522–0.000541)").
        public var summaryLine: String {
            let time = durationSeconds.map { TimeString.format(seconds: $0) } ?? "unknown duration"
            let energyBounds = energyKilowattHoursRange.map { " (\(RangeText.bounds($0)))" } ?? ""
            let co2Bounds = co2eqGramsRange.map { " (\(RangeText.bounds($0)))" } ?? ""
            return "Job \(jobID) (\(jobSource)): \(shape), \(time), "
                + "\(String(format: "%.12f", energyKilowattHours)) kWh\(energyBounds), "
                + "\(String(format: "%.12f", co2eqGrams)) g\(co2Bounds) CO2eq"
        }

        /// "2 nodes × 4 ranks" (processes when ranks are unknown).
        public var shape: String {
            let ranks = self.ranks.isEmpty ? processes : self.ranks.count
            return "\(nodes.count) node\(nodes.count == 1 ? "" : "s") × \(ranks) rank\(ranks == 1 ? "" : "s")"
        }
    }

    /// One component of a job: which devices measured it and their energy.
    public struct JobComponent: Sendable, Equatable {
        /// The component ("cpu", "gpu").
        public var name: String
        /// Each measured device's identity across the job, once, sorted (`node1/cpu/Xeon`, `node2/gpu/GPU-...`).
        public var deviceIDs: [String]
        /// Energy of all its devices in joules, without PUE.
        public var energyJoules: Double
    }

    /// A job with the runs of its ranks.
    public struct Job: Sendable, Equatable {
        /// The job's totals.
        public var total: JobTotal
        /// Every rank's run, ordered by standard-log path.
        public var runs: [Entry]
    }

    /// The distributed jobs of a log directory, and what was skipped.
    public struct JobList: Sendable, Equatable {
        /// The jobs, earliest start first (then by job id).
        public var jobs: [Job]
        /// Files skipped or partly read.
        public var warnings: [Warning]
    }

    /// Groups the runs of a directory by distributed job ("Distributed run: job ..." lines).
    ///
    /// Runs of a single process (no such line) are not jobs and are left out.
    /// - Parameter logDir: The directory the ranks wrote to.
    /// - Returns: Per job its nodes, ranks, per-component energy with each device once, wall duration,
    ///   CO2eq and runs.
    /// - Throws: ``CarbonTrackerError`` with code `.logParseFailed` when the directory is missing or
    ///   cannot be listed.
    public static func jobs(logDir: String) throws -> JobList {
        let parse = try parseAllLogs(logDir: logDir)
        var order: [String] = []
        var grouped: [String: [Entry]] = [:]
        for entry in parse.entries {
            guard let key = entry.standardLog.distributed?.jobKey else { continue }
            if grouped[key] == nil { order.append(key) }
            grouped[key, default: []].append(entry)
        }
        let jobs = order.map { key -> Job in
            let runs = grouped[key]!
            let total = JobTotal.build(
                runs.map { JobRun(standardFile: $0.standardFile, log: $0.standardLog, actual: $0.actual) })
            return Job(total: total, runs: runs)
        }
        return JobList(jobs: jobs.sorted { $0.total.sortsBefore($1.total) }, warnings: parse.warnings)
    }
}

extension LogParser {
    /// The checkpoint a killed run left beside its standard log (`..._carbontracker_progress.json`).
    /// - Parameter path: The run's `..._carbontracker.log`.
    /// - Returns: The epoch, its elapsed time and energy so far, or `nil` when there is no readable file
    ///   (the run ended normally, or never reached a checkpoint).
    public static func progress(ofStandardLog path: String) -> EpochProgress? {
        guard path.hasSuffix("_carbontracker.log") else { return nil }
        let file = String(path.dropLast(".log".count)) + "_progress.json"
        guard let bytes = try? BoundedFile.read(file, limit: BoundedFile.checkpointLimit).get(),
            let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let epoch = object["epoch"] as? Int, let elapsed = object["elapsed_seconds"] as? Double,
            let components = object["components"] as? [[String: Any]]
        else { return nil }
        var progress = EpochProgress(epoch: epoch, elapsedSeconds: elapsed)
        for component in components {
            guard let name = component["component"] as? String,
                let joules = component["energy_joules"] as? [Double]
            else { continue }
            progress.joulesByComponent[name] = joules
        }
        return progress
    }
}

/// What a job total needs of one run.
struct JobRun: Sendable {
    var standardFile: String
    var log: LogParser.StandardLog
    var actual: LogParser.Consumption?
}

extension LogParser.JobTotal {
    /// Adds up the runs of one job (or one single-process run killed before its final report, whose
    /// total is then only its ``consumption`` and ``warnings``).
    ///
    /// A run alone may come with the epochs a read let go of already counted
    /// (``LogParser/StandardLog/foldedEnergy``); its kept epochs are counted after them.
    static func build(_ runs: [JobRun]) -> LogParser.JobTotal {
        let first = runs[0].log.distributed
        var components = ComponentJoules()
        var devicesByComponent: [String: [String]] = [:]
        var energy = 0.0
        var co2 = 0.0
        var unknownIntensityKilowattHours = 0.0
        var warnings: [String] = []
        var hasEquivalents = false
        var bounds = JobBounds()
        for run in runs {
            let pue = effectivePUE(logged: run.log.powerUsageEffectiveness)
            // A streaming read added up the epochs it let go of as a run counted alone (see
            // `RunFold`); the epochs it kept follow them.
            var runEnergy = RunEnergy(powerUsageEffectiveness: pue)
            if let folded = run.log.foldedEnergy.run {
                assert(runs.count == 1, "a fold counts a run alone")
                runEnergy = folded
                components = run.log.foldedEnergy.components
            }
            for epoch in run.log.epochs { runEnergy.add(epoch, to: &components) }
            let lastFinished = run.log.epochs.last?.number ?? 0
            if run.actual == nil, let progress = LogParser.progress(ofStandardLog: run.standardFile),
                progress.epoch > lastFinished
            {
                for (name, joules) in progress.joulesByComponent.sorted(by: { $0.key < $1.key }) {
                    runEnergy.add(name, joules: joules.reduce(0, +), to: &components)
                }
                warnings.append(
                    "\(run.standardFile): no final report (the process was probably killed); counted up to "
                        + "its last checkpoint, \(TimeString.format(seconds: progress.elapsedSeconds, withHundredths: true)) "
                        + "into epoch \(progress.epoch).")
            } else if run.actual == nil && !run.log.isComplete {
                warnings.append(
                    "\(run.standardFile): no final report and no checkpoint (the process was probably killed); "
                        + "only its finished epochs are counted.")
            }
            for device in (run.log.distributed?.measured ?? []) + (run.log.distributed?.takenOver ?? []) {
                if !(devicesByComponent[device.kind]?.contains(device.id) ?? false) {
                    devicesByComponent[device.kind, default: []].append(device.id)
                }
            }
            if runEnergy.leftOut > 0 {
                warnings.append(
                    "\(run.standardFile): \(runEnergy.leftOut) duration(s) or energies are not a finite, non-negative number "
                        + "(or would overflow the job's totals); they are left out.")
            }
            let runJoules = runEnergy.joules
            let runKilowattHours = runJoules * pue / 3_600_000
            energy += runKilowattHours
            hasEquivalents = hasEquivalents || !(run.actual?.equivalents.isEmpty ?? true)
            let actualIntensity = run.actual.flatMap { actual -> Double? in
                guard actual.energyKilowattHours > 0 else { return nil }
                let intensity = actual.co2eqGrams / actual.energyKilowattHours
                return LogValue.usable(intensity) ? intensity : nil
            }
            let loggedIntensity = run.log.intensity?.averageGramsPerKilowattHour.flatMap {
                LogValue.usable($0) ? $0 : nil
            }
            if let intensity = actualIntensity ?? loggedIntensity,
                (co2 + runKilowattHours * intensity).isFinite
            {
                co2 += runKilowattHours * intensity
                bounds.add(
                    runEnergy.bounds, joules: runJoules, powerUsageEffectiveness: pue, intensity: intensity)
            } else {
                unknownIntensityKilowattHours += runKilowattHours
                bounds.add(runEnergy.bounds, joules: runJoules, powerUsageEffectiveness: pue, intensity: nil)
            }
        }
        if unknownIntensityKilowattHours > 0 {
            // A killed rank never logged its intensity: use the average of its job's other ranks.
            let known = energy - unknownIntensityKilowattHours
            if known > 0 {
                bounds.chargeUnknownIntensity(at: co2 / known)
                co2 += unknownIntensityKilowattHours * co2 / known
            } else {
                warnings.append("No run of this job logged a carbon intensity; its CO2eq is left at 0 g.")
            }
        }
        let firsts = runs.compactMap(\.log.firstTimestamp)
        let lasts = runs.compactMap(\.log.lastTimestamp)
        let start = firsts.min()
        let end = lasts.max()
        var duration: Double?
        if let start, let end, let from = LocalTimestamp.seconds(start), let to = LocalTimestamp.seconds(end)
        {
            duration = max(0, to - from)
        }
        let infos = runs.compactMap(\.log.distributed)
        var total = LogParser.JobTotal(
            jobID: first?.jobID ?? "", jobSource: first?.jobSource ?? "",
            launchers: Array(Set(infos.map(\.launcher))).sorted(),
            steps: Array(Set(infos.map(\.step))).sorted(), nodes: Array(Set(infos.map(\.nodeName))).sorted(),
            ranks: Array(Set(infos.compactMap(\.rank))).sorted(), processes: runs.count,
            components: zip(components.names, components.joules).map { name, joules in
                LogParser.JobComponent(
                    name: name, deviceIDs: (devicesByComponent[name] ?? []).sorted(), energyJoules: joules)
            },
            firstTimestamp: start, lastTimestamp: end, durationSeconds: duration, energyKilowattHours: energy,
            co2eqGrams: co2,
            equivalents: hasEquivalents
                ? ReferenceData.equivalents(forGrams: co2).map { .init(unit: $0.unit, amount: $0.amount) }
                : [],
            warnings: warnings)
        total.energyKilowattHoursRange = bounds.energy(around: energy)
        total.co2eqGramsRange = bounds.co2(around: co2)
        return total
    }

    /// Earliest start first, then by job id: the order jobs are listed in.
    func sortsBefore(_ other: Self) -> Bool {
        (firstTimestamp ?? "", jobSource, jobID) < (other.firstTimestamp ?? "", other.jobSource, other.jobID)
    }

    /// This total as a report, for adding to a directory's aggregate.
    var consumption: LogParser.Consumption {
        var consumption = LogParser.Consumption(
            epochs: nil, durationSeconds: durationSeconds, energyKilowattHours: energyKilowattHours,
            co2eqGrams: co2eqGrams, equivalents: equivalents)
        consumption.energyKilowattHoursRange = energyKilowattHoursRange
        consumption.co2eqGramsRange = co2eqGramsRange
        return consumption
    }
}

/// Log timestamps (`YYYY-MM-DD HH:MM:SS`, local time) as seconds on one scale, for differences.
enum LocalTimestamp {
    /// Seconds since 1970-01-01 00:00:00 of the same clock; `nil` when the text is not a timestamp.
    static func seconds(_ text: String) -> Double? {
        let digits = text.split(whereSeparator: { $0 == "-" || $0 == " " || $0 == ":" }).map { Int($0) }
        guard digits.count == 6, let year = digits[0], let month = digits[1], let day = digits[2],
            let hour = digits[3], let minute = digits[4], let second = digits[5], (1...12).contains(month)
        else { return nil }
        // Days from the civil date (proleptic Gregorian), as in Howard Hinnant's algorithm.
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return Double(days * 86_400 + hour * 3600 + minute * 60 + second)
    }
}
