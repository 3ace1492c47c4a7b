/// Builds a ``LogParser/StandardLog`` one line at a time, so a file never has to be held whole.
///
/// Each line is classified by its first byte after the timestamp; only the lines that carry figures
/// are examined further. A scanner that does not keep figures (``init(keepsFigures:foldsEpochs:)``)
/// reads only what an aggregate needs, the early-stop line, every check that warns and what counts a
/// run without a final report, and keeps just the current epoch, the others counted in
/// ``LogParser/StandardLog/foldedEnergy``; one that folds epochs reads everything and adds up all but
/// the current epoch.
package struct StandardLogScanner {
    private(set) var log = LogParser.StandardLog()
    private let keepsFigures: Bool
    /// Whether finished epochs are added to ``LogParser/StandardLog/foldedEpochs`` and let go of.
    private let foldsEpochs: Bool
    private var lineNumber = 0
    /// The latest timestamp, as bytes: copying 19 bytes into reused storage is cheaper than making a
    /// `String` for every line.
    private var lastStamp: [UInt8] = []
    /// A numpy array that numpy wrapped onto several lines, still waiting for its `]`.
    private var pendingPower: (component: String, text: [UInt8], line: Int)?
    /// Warnings about single lines so far, of which the first ``LogFileReader/lineWarningLimit`` are kept.
    private var lineWarnings = 0
    /// The implicit epoch number overflowed once already (it was warned about).
    private var epochNumberOverflowed = false

    /// Whether the run line of a distributed job was read: a flag, since testing the large optional
    /// `log.distributed` on every line copied it. An aggregate keeps such a log's epochs from that
    /// line on, since its job's total is rebuilt from them (a killed rank has no report).
    private var isDistributed = false

    /// Creates a scanner.
    /// - Parameters:
    ///   - keepsFigures: `false` to skip what only a full ``LogParser/StandardLog`` holds (versions,
    ///     devices, fetched intensities, windows) and keep only the latest epoch, the earlier ones
    ///     counted as a run alone is counted in ``LogParser/StandardLog/foldedEnergy`` (except in a
    ///     distributed run's log, whose epochs from its run line on are kept for its job).
    ///   - foldsEpochs: `true` to add each finished epoch to ``LogParser/StandardLog/foldedEpochs``
    ///     instead of keeping it (except in a distributed run's log, whose job needs every epoch), so
    ///     a full read's memory does not grow with the run's length.
    package init(keepsFigures: Bool = true, foldsEpochs: Bool = false) {
        self.keepsFigures = keepsFigures
        self.foldsEpochs = foldsEpochs
    }

    private enum Prefix {
        static let epoch: StaticString = "Epoch "
        static let duration: StaticString = "Duration: "
        static let power: StaticString = "Average power usage (W) for "
        static let measured: StaticString = "Measured energy (J) for "
        static let components: StaticString = "The following components were found:"
        static let version: StaticString = "carbontracker version "
        static let pue: StaticString = "PUE coefficient of "
        static let intensities: StaticString = "Carbon intensities (gCO2eq/kWh) fetched every "
        static let averageIntensity: StaticString = "Average carbon intensity during training was "
        static let ended: StaticString = "Monitoring thread ended."
        static let interrupted: StaticString = "training was interrupted"
        static let window: StaticString = "Window "
        static let distributed: StaticString = "Distributed "
    }

    package mutating func consume(_ line: LogBytes) {
        lineNumber += 1
        let (stamp, message) = LogValue.splitTimestamp(line)
        guard let stamp else {
            if let pending = pendingPower {
                // numpy wraps a list of a few devices onto a few lines; a list as long as the longest
                // line is garbage, and keeping more would let one file fill the memory.
                guard pending.text.count + message.count < LogFileReader.maximumLineBytes else {
                    pendingPower = nil
                    warnAboutLine(
                        "Line \(pending.line): the power list of \(pending.component) goes on for more than "
                            + "\(LogFileReader.maximumLineBytes) bytes without a closing bracket; it is left out."
                    )
                    return
                }
                pendingPower?.text.append(0x20)
                pendingPower?.text.append(contentsOf: message.bytes)
                if message.contains(UInt8(ascii: "]")) { finishPendingPower() }
            }
            return
        }
        if log.firstTimestamp == nil { log.firstTimestamp = stamp.string }
        lastStamp.removeAll(keepingCapacity: true)
        lastStamp.append(contentsOf: stamp.bytes)
        if let pending = pendingPower {
            warnAboutLine(
                "Line \(pending.line): the power list has no closing bracket; it was read up to line "
                    + "\(lineNumber - 1).")
            finishPendingPower()
        }
        let wasDistributed = isDistributed
        handle(message)
        // An aggregate starts keeping a distributed run's figures from its run line on, its start time included.
        if !wasDistributed, isDistributed, log.firstTimestamp == nil {
            log.firstTimestamp = stamp.string
            lastStamp.removeAll(keepingCapacity: true)
            lastStamp.append(contentsOf: stamp.bytes)
        }
    }

    /// The log read so far, with the warnings for how the file ended.
    package mutating func finish(_ end: LogFileReader.Outcome = .init()) -> LogParser.StandardLog {
        if let pending = pendingPower {
            warn("Line \(pending.line): the power list has no closing bracket (the log ends inside it).")
            finishPendingPower()
        }
        if let warning = end.endedMidLineWarning { warn(warning) }
        if let last = log.epochs.last, last.durationSeconds == nil {
            warn("Epoch \(last.number) has no duration line (the log ends inside it); it is left out.")
        }
        if let warning = end.longLinesWarning { warn(warning) }
        if lineWarnings > LogFileReader.lineWarningLimit {
            warn(
                "\(lineWarnings - LogFileReader.lineWarningLimit) more line(s) could not be read "
                    + "(only the first \(LogFileReader.lineWarningLimit) are listed).")
        }
        if !lastStamp.isEmpty { log.lastTimestamp = String(decoding: lastStamp, as: UTF8.self) }
        return log
    }

    private mutating func warn(_ message: String) { log.warnings.append(message) }

    /// Keeps a warning about one line unless the file already had ``LogFileReader/lineWarningLimit``:
    /// a file of garbage would otherwise make one warning per line.
    private mutating func warnAboutLine(_ message: String) {
        lineWarnings += 1
        if lineWarnings <= LogFileReader.lineWarningLimit { warn(message) }
    }

    // MARK: Lines

    private mutating func handle(_ message: LogBytes) {
        guard let first = message.first else { return }
        switch first {
        case UInt8(ascii: "E"):
            if let rest = message.after(Prefix.epoch) {
                startEpoch(rest)
            } else if let rest = message.after(RangeLine.prefix) {
                readEpochRange(rest)
            } else if keepsFigures, let rest = message.after(RangeLine.windowPrefix) {
                readWindowRange(rest)
            }
        case UInt8(ascii: "D"):
            if let rest = message.after(Prefix.duration) {
                readDuration(rest)
            } else if message.hasPrefix(Prefix.distributed) {
                readDistributed(message.string)
            }
        case UInt8(ascii: "A"):
            if let rest = message.after(Prefix.power) {
                readPower(rest)
            } else if let rest = message.after(Prefix.averageIntensity) {
                if log.intensity == nil { log.intensity = LogParser.Intensity() }
                log.intensity?.averageGramsPerKilowattHour = LogValue.number(rest.prefix(upToFirst: 0x20))
            }
        case UInt8(ascii: "M"):
            if let rest = message.after(Prefix.measured) {
                readMeasured(rest)
            } else if message.hasPrefix(Prefix.ended) {
                log.isComplete = true
            }
        case UInt8(ascii: "T"), UInt8(ascii: "t"):
            if let rest = message.after(Prefix.components) {
                if keepsFigures && log.components.isEmpty { log.components = Self.components(rest) }
            } else if message.hasPrefix(ignoringCase: Prefix.interrupted) {
                log.earlyStop = true
            }
        case UInt8(ascii: "c"):
            if keepsFigures, let rest = message.after(Prefix.version) { log.version = rest.trimmed.string }
        case UInt8(ascii: "O"):
            if let range = message.find(Prefix.pue) {
                log.powerUsageEffectiveness = LogValue.number(
                    message.suffix(from: range.upperBound).prefix(upToFirst: 0x20))
            }
        case UInt8(ascii: "C"):
            if keepsFigures, let rest = message.after(Prefix.intensities) { readIntensities(rest) }
        case UInt8(ascii: "W"):
            if keepsFigures, let rest = message.after(Prefix.window) {
                if let window = WindowLogLine.parse(rest) {
                    log.windows.append(window)
                } else {
                    warnAboutLine("Line \(lineNumber): cannot read the window line; it is left out.")
                }
            }
        default:
            break
        }
    }

    private mutating func startEpoch(_ rest: LogBytes) {
        guard let (number, after) = LogValue.leadingInteger(rest) else {
            if let digits = LogValue.leadingDigits(rest), rest.suffix(from: digits.count).equals(":") {
                warnAboutLine(
                    "Line \(lineNumber): the epoch number \(digits.excerpt) is too large; the epoch is "
                        + "numbered after the one before it.")
            }
            return
        }
        guard after.equals(":") else { return }
        append(LogParser.Epoch(number: number))
    }

    /// An epoch without its `Epoch N:` line, numbered after the one before it.
    private mutating func newImplicitEpoch() {
        let (next, overflow) = (log.epochs.last?.number ?? 0).addingReportingOverflow(1)
        if overflow && !epochNumberOverflowed {
            epochNumberOverflowed = true
            warnAboutLine(
                "Line \(lineNumber): the epoch after epoch \(Int.max) cannot be numbered; it keeps that number."
            )
        }
        append(LogParser.Epoch(number: overflow ? Int.max : next))
    }

    private mutating func append(_ epoch: LogParser.Epoch) {
        if foldsEpochs || !keepsFigures, !isDistributed, let finished = log.epochs.last {
            // Later lines complete only the latest epoch, so the one before it is finished. An aggregate
            // counts it as a run alone is counted, for the case its run has no final report.
            if keepsFigures { log.foldedEpochs.add(finished) }
            log.foldedEnergy.add(finished, powerUsageEffectiveness: log.powerUsageEffectiveness)
            log.epochs.removeAll(keepingCapacity: true)
        }
        log.epochs.append(epoch)
    }

    private mutating func readDuration(_ text: LogBytes) {
        guard let seconds = LogValue.duration(text) else {
            warnAboutLine(
                "Line \(lineNumber): cannot read the duration \(text.excerpt); the epoch is left out.")
            return
        }
        if log.epochs.isEmpty || log.epochs[log.epochs.count - 1].durationSeconds != nil {
            newImplicitEpoch()
        }
        log.epochs[log.epochs.count - 1].durationSeconds = seconds
    }

    private mutating func readPower(_ text: LogBytes) {
        guard let colon = text.find(": ") else { return }
        let name = text.prefix(upTo: colon.lowerBound).string
        let value = text.suffix(from: colon.upperBound)
        if value.first == UInt8(ascii: "[") && !value.contains(UInt8(ascii: "]")) {
            pendingPower = (name, Array(value.bytes), lineNumber)
            return
        }
        storePower(name: name, value: value, line: lineNumber)
    }

    private mutating func finishPendingPower() {
        guard var pending = pendingPower else { return }
        pendingPower = nil
        if !pending.text.contains(UInt8(ascii: "]")) { pending.text.append(UInt8(ascii: "]")) }
        pending.text.withUnsafeBufferPointer {
            storePower(name: pending.component, value: LogBytes($0), line: pending.line)
        }
    }

    private mutating func storePower(name: String, value: LogBytes, line: Int) {
        var watts: [Double] = []
        let readable =
            value.trimmed.equals("None")
            || LogValue.forEachNumber(in: value) { watts.append($0) }
        guard readable else {
            warnAboutLine(
                "Line \(line): cannot read the average power of \(name) \(value.excerpt); it is left out.")
            return
        }
        if log.epochs.isEmpty || log.epochs[log.epochs.count - 1].component(name) != nil {
            newImplicitEpoch()
        }
        log.epochs[log.epochs.count - 1].components.append(
            LogParser.EpochComponent(name: name, averagePowerWatts: watts))
    }

    private mutating func readMeasured(_ text: LogBytes) {
        guard let colon = text.find(": "), !log.epochs.isEmpty else { return }
        let name = text.prefix(upTo: colon.lowerBound).string
        var value = text.suffix(from: colon.upperBound)
        var method: MeasurementMethod?
        if let tag = value.find(" [method: "), value.last == UInt8(ascii: "]") {
            // The tag may go on with the scope and shares: "[method: counter, scope: job 4242, …]".
            // A run counted alone needs only the joules, so an aggregate makes no String of it.
            if keepsFigures || isDistributed {
                let words = value[tag.upperBound..<(value.count - 1)].string
                method = MeasurementMethod(rawValue: String(words.prefix { $0 != "," }))
            }
            value = value.prefix(upTo: tag.lowerBound)
        }
        let last = log.epochs.count - 1
        guard let index = log.epochs[last].components.firstIndex(where: { $0.name == name }) else { return }
        var joules: [Double] = []
        guard LogValue.forEachNumber(in: value, { joules.append($0) }) else {
            warnAboutLine(
                "Line \(lineNumber): cannot read the measured energy of \(name) \(value.excerpt); "
                    + "it is left out."
            )
            return
        }
        log.epochs[last].components[index].measuredEnergyJoules = joules
        log.epochs[last].components[index].measurementMethod = method
    }

    /// The bounds of the epoch whose lines came just before.
    private mutating func readEpochRange(_ text: LogBytes) {
        guard !log.epochs.isEmpty else { return }
        guard let bounds = RangeLogLine.bounds(text) else {
            // An aggregate reads the bounds only to count a run without a report, and its warnings
            // stay those of the lines its totals always need.
            if keepsFigures || isDistributed {
                warnAboutLine(
                    "Line \(lineNumber): cannot read the energy range \(text.excerpt); it is left out.")
            }
            return
        }
        let last = log.epochs.count - 1
        log.epochs[last].energyKilowattHoursRange = bounds.energyKilowattHours
        log.epochs[last].co2eqGramsRange = bounds.co2eqGrams
    }

    /// The bounds of the window line just before, when it has the name this line gives.
    private mutating func readWindowRange(_ text: LogBytes) {
        guard let (name, bounds) = RangeLogLine.window(text) else {
            warnAboutLine("Line \(lineNumber): cannot read the window's energy range; it is left out.")
            return
        }
        guard let last = log.windows.indices.last, log.windows[last].name == name,
            log.windows[last].energyKilowattHoursRange == nil
        else { return }
        log.windows[last].energyKilowattHoursRange = bounds.energyKilowattHours
        log.windows[last].co2eqGramsRange = bounds.co2eqGrams
    }

    /// "Distributed run: ...", "Distributed measure: ...", "Distributed leave: ...", "Distributed take-over: ...".
    private mutating func readDistributed(_ message: String) {
        typealias Lines = DistributedLogLines
        if message.hasPrefix(Lines.runPrefix) {
            guard !isDistributed,
                let run = Lines.parseRun(String(message.dropFirst(Lines.runPrefix.count)))
            else { return }
            log.distributed = run
            isDistributed = true
            forgetCountingAlone()
            return
        }
        guard isDistributed else { return }
        for (prefix, path) in [
            (Lines.measurePrefix, \LogParser.DistributedRun.measured), (Lines.leavePrefix, \.left),
            (Lines.takeOverPrefix, \.takenOver),
        ] where message.hasPrefix(prefix) {
            if let device = Lines.parseDevice(String(message.dropFirst(prefix.count))) {
                log.distributed![keyPath: path].append(device)
            }
            return
        }
    }

    /// Forgets, at a distributed job's run line, what was counted of the log as a run alone: its job
    /// counts the epochs that follow, and an aggregate counts them as if it had kept nothing of the
    /// lines before (their start time, PUE factor, intensity and energy).
    private mutating func forgetCountingAlone() {
        log.foldedEnergy = LogParser.JobTotal.RunFold()
        guard !keepsFigures else { return }
        log.firstTimestamp = nil
        lastStamp.removeAll(keepingCapacity: true)
        log.powerUsageEffectiveness = nil
        log.intensity = nil
        for epoch in log.epochs.indices {
            log.epochs[epoch].energyKilowattHoursRange = nil
            log.epochs[epoch].co2eqGramsRange = nil
            for component in log.epochs[epoch].components.indices {
                log.epochs[epoch].components[component].averagePowerWatts = []
                log.epochs[epoch].components[component].measuredEnergyJoules = nil
                log.epochs[epoch].components[component].measurementMethod = nil
            }
        }
    }

    private mutating func readIntensities(_ text: LogBytes) {
        var intensity = log.intensity ?? LogParser.Intensity()
        if let unit = text.find(" s at detected location: ") {
            intensity.refreshIntervalSeconds = LogValue.number(text.prefix(upTo: unit.lowerBound))
            let rest = text.suffix(from: unit.upperBound)
            if let list = rest.find(": [", backwards: true) {
                intensity.location = rest.prefix(upTo: list.lowerBound).string
                intensity.valuesGramsPerKilowattHour =
                    LogValue.numberList(rest.suffix(from: list.upperBound - 1)) ?? []
            } else {
                intensity.location = rest.string
            }
        }
        log.intensity = intensity
    }

    /// Splits "GPU with device(s) A, B. CPU with device(s) Intel(R) Xeon(R) @ 2.20GHz." by the
    /// component names rather than at the first dot, so device names may contain dots.
    static func components(_ text: LogBytes) -> [LogParser.ComponentDevices] {
        let marker: StaticString = " with device(s) "
        var pieces: [LogBytes] = []
        var rest = text
        while let range = rest.find(marker) {
            pieces.append(rest.prefix(upTo: range.lowerBound))
            rest = rest.suffix(from: range.upperBound)
        }
        pieces.append(rest)
        guard pieces.count >= 2 else { return [] }
        var lastWord = ""
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 }
        _ = pieces[0].forEachPiece(separatedBy: isSpace) { word in
            lastWord = word.string
            return true
        }
        var names = [lastWord]
        var deviceTexts: [LogBytes] = []
        for piece in pieces.dropFirst().dropLast() {
            if let split = piece.find(". ", backwards: true) {
                deviceTexts.append(piece.prefix(upTo: split.lowerBound))
                names.append(piece.suffix(from: split.upperBound).trimmed.string)
            } else {
                let split = piece.lastIndex(of: 0x20) ?? 0
                deviceTexts.append(piece.prefix(upTo: split))
                names.append(piece.suffix(from: split).trimmed.string)
            }
        }
        var last = pieces[pieces.count - 1].trimmed
        if last.last == UInt8(ascii: ".") { last = last.dropLast() }
        deviceTexts.append(last)
        return zip(names, deviceTexts).map { name, devices in
            var names: [String] = []
            _ = devices.forEachPiece(separatedBy: { $0 == UInt8(ascii: ",") }) { device in
                let trimmed = device.trimmed
                if !trimmed.isEmpty { names.append(trimmed.string) }
                return true
            }
            return LogParser.ComponentDevices(name: name.lowercased(), devices: names)
        }
    }
}

extension StandardLogScanner {
    /// Hands every epoch read so far but the last (which later lines may still complete) to `body`,
    /// in log order, and forgets them: a reader that summarises epochs as they come keeps the memory
    /// of a log of any length flat.
    /// - Parameter body: Called once per finished epoch.
    package mutating func takeFinishedEpochs(_ body: (LogParser.Epoch) -> Void) {
        guard log.epochs.count > 1 else { return }
        for epoch in log.epochs.dropLast() { body(epoch) }
        log.epochs.removeFirst(log.epochs.count - 1)
    }
}
