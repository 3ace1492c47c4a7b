/// Builds a ``LogParser/StandardLog`` one line at a time, so a file never has to be held whole.
///
/// Each line is classified by its first characters after the timestamp; only the lines that
/// carry figures are examined further.
struct StandardLogScanner {
    private(set) var log = LogParser.StandardLog()
    private var lineNumber = 0
    /// Keeps its chunk of the file alive until the next stamped line: cheaper than a copy per line.
    private var lastStamp: Substring?
    /// A numpy array that numpy wrapped onto several lines, still waiting for its `]`.
    private var pendingPower: (component: String, text: String, line: Int)?

    private enum Prefix {
        static let epoch = "Epoch "
        static let duration = "Duration: "
        static let power = "Average power usage (W) for "
        static let measured = "Measured energy (J) for "
        static let components = "The following components were found:"
        static let version = "carbontracker version "
        static let pue = "PUE coefficient of "
        static let intensities = "Carbon intensities (gCO2eq/kWh) fetched every "
        static let averageIntensity = "Average carbon intensity during training was "
        static let ended = "Monitoring thread ended."
        static let interrupted = "training was interrupted"
    }

    mutating func consume(_ line: Substring) {
        lineNumber += 1
        let (stamp, message) = LogValue.splitTimestamp(line)
        guard let stamp else {
            if var pending = pendingPower {
                pending.text += " " + message
                pendingPower = pending
                if message.utf8.contains(UInt8(ascii: "]")) { finishPendingPower() }
            }
            return
        }
        if log.firstTimestamp == nil { log.firstTimestamp = String(stamp) }
        lastStamp = stamp
        if let pending = pendingPower {
            warn(
                "Line \(pending.line): the power list has no closing bracket; it was read up to line "
                    + "\(lineNumber - 1).")
            finishPendingPower()
        }
        handle(message)
    }

    mutating func finish(endedMidLine: Bool) -> LogParser.StandardLog {
        if let pending = pendingPower {
            warn("Line \(pending.line): the power list has no closing bracket (the log ends inside it).")
            finishPendingPower()
        }
        if endedMidLine {
            warn(
                "The file ends in the middle of a line (the tracker was probably killed while writing); "
                    + "the partial line was ignored.")
        }
        if let last = log.epochs.last, last.durationSeconds == nil {
            warn("Epoch \(last.number) has no duration line (the log ends inside it); it is left out.")
        }
        log.lastTimestamp = lastStamp.map(String.init)
        return log
    }

    private mutating func warn(_ message: String) { log.warnings.append(message) }

    // MARK: Lines

    private mutating func handle(_ message: Substring) {
        guard let first = message.utf8.first else { return }
        switch first {
        case UInt8(ascii: "E"):
            if let rest = LogValue.after(Prefix.epoch, in: message) { startEpoch(rest) }
        case UInt8(ascii: "D"):
            if let rest = LogValue.after(Prefix.duration, in: message) { readDuration(rest) }
        case UInt8(ascii: "A"):
            if let rest = LogValue.after(Prefix.power, in: message) {
                readPower(rest)
            } else if let rest = LogValue.after(Prefix.averageIntensity, in: message) {
                let value = rest.prefix { $0 != " " }
                if log.intensity == nil { log.intensity = LogParser.Intensity() }
                log.intensity?.averageGramsPerKilowattHour = LogValue.number(value)
            }
        case UInt8(ascii: "M"):
            if let rest = LogValue.after(Prefix.measured, in: message) {
                readMeasured(rest)
            } else if LogValue.hasPrefix(message, Prefix.ended) {
                log.isComplete = true
            }
        case UInt8(ascii: "T"), UInt8(ascii: "t"):
            if let rest = LogValue.after(Prefix.components, in: message) {
                if log.components.isEmpty { log.components = Self.components(rest) }
            } else if message.prefix(Prefix.interrupted.count).lowercased() == Prefix.interrupted {
                log.earlyStop = true
            }
        case UInt8(ascii: "c"):
            if let rest = LogValue.after(Prefix.version, in: message) {
                log.version = String(LogValue.trimmed(rest))
            }
        case UInt8(ascii: "O"):
            if let range = LogValue.find(Prefix.pue, in: message) {
                log.powerUsageEffectiveness = LogValue.number(
                    message[range.upperBound...].prefix { $0 != " " })
            }
        case UInt8(ascii: "C"):
            if let rest = LogValue.after(Prefix.intensities, in: message) { readIntensities(rest) }
        default:
            break
        }
    }

    private mutating func startEpoch(_ rest: Substring) {
        guard let (number, after) = LogValue.leadingInteger(rest), after == ":" else { return }
        log.epochs.append(LogParser.Epoch(number: number))
    }

    private mutating func newImplicitEpoch() {
        log.epochs.append(LogParser.Epoch(number: (log.epochs.last?.number ?? 0) + 1))
    }

    private mutating func readDuration(_ text: Substring) {
        guard let seconds = LogValue.duration(text) else {
            warn("Line \(lineNumber): cannot read the duration '\(text)'; the epoch is left out.")
            return
        }
        if log.epochs.isEmpty || log.epochs[log.epochs.count - 1].durationSeconds != nil {
            newImplicitEpoch()
        }
        log.epochs[log.epochs.count - 1].durationSeconds = seconds
    }

    private mutating func readPower(_ text: Substring) {
        guard let colon = LogValue.find(": ", in: text) else { return }
        let name = String(text[..<colon.lowerBound])
        let value = text[colon.upperBound...]
        if LogValue.hasPrefix(value, "[") && !value.utf8.contains(UInt8(ascii: "]")) {
            pendingPower = (name, String(value), lineNumber)
            return
        }
        storePower(name: name, value: value, line: lineNumber)
    }

    private mutating func finishPendingPower() {
        guard let pending = pendingPower else { return }
        pendingPower = nil
        var text = pending.text
        if !text.utf8.contains(UInt8(ascii: "]")) { text += "]" }
        storePower(name: pending.component, value: text[...], line: pending.line)
    }

    private mutating func storePower(name: String, value: Substring, line: Int) {
        let watts: [Double]
        if LogValue.trimmed(value) == "None" {
            watts = []
        } else if let values = LogValue.numberList(value) {
            watts = values
        } else {
            warn("Line \(line): cannot read the average power of \(name) '\(value)'; it is left out.")
            return
        }
        if log.epochs.isEmpty || log.epochs[log.epochs.count - 1].component(name) != nil {
            newImplicitEpoch()
        }
        log.epochs[log.epochs.count - 1].components.append(
            LogParser.EpochComponent(name: name, averagePowerWatts: watts))
    }

    private mutating func readMeasured(_ text: Substring) {
        guard let colon = LogValue.find(": ", in: text), !log.epochs.isEmpty else { return }
        let name = String(text[..<colon.lowerBound])
        var value = text[colon.upperBound...]
        var method: MeasurementMethod?
        if let tag = LogValue.find(" [method: ", in: value), value.utf8.last == UInt8(ascii: "]") {
            method = MeasurementMethod(rawValue: String(value[tag.upperBound...].dropLast()))
            value = value[..<tag.lowerBound]
        }
        let last = log.epochs.count - 1
        guard let index = log.epochs[last].components.firstIndex(where: { $0.name == name }) else { return }
        guard let joules = LogValue.numberList(value) else {
            warn("Line \(lineNumber): cannot read the measured energy of \(name) '\(value)'; it is left out.")
            return
        }
        log.epochs[last].components[index].measuredEnergyJoules = joules
        log.epochs[last].components[index].measurementMethod = method
    }

    private mutating func readIntensities(_ text: Substring) {
        var intensity = log.intensity ?? LogParser.Intensity()
        if let unit = LogValue.find(" s at detected location: ", in: text) {
            intensity.refreshIntervalSeconds = LogValue.number(text[..<unit.lowerBound])
            let rest = text[unit.upperBound...]
            if let list = LogValue.find(": [", in: rest, backwards: true) {
                intensity.location = String(rest[..<list.lowerBound])
                intensity.valuesGramsPerKilowattHour =
                    LogValue.numberList(rest[rest.index(before: list.upperBound)...]) ?? []
            } else {
                intensity.location = String(rest)
            }
        }
        log.intensity = intensity
    }

    /// Splits "GPU with device(s) A, B. CPU with device(s) Intel(R) Xeon(R) @ 2.20GHz." by the
    /// component names rather than at the first dot, so device names may contain dots.
    static func components(_ text: Substring) -> [LogParser.ComponentDevices] {
        let marker = " with device(s) "
        var pieces: [Substring] = []
        var rest = text[...]
        while let range = LogValue.find(marker, in: rest) {
            pieces.append(rest[..<range.lowerBound])
            rest = rest[range.upperBound...]
        }
        pieces.append(rest)
        guard pieces.count >= 2 else { return [] }
        var names = [pieces[0].split(separator: " ").last.map(String.init) ?? ""]
        var deviceTexts: [Substring] = []
        for piece in pieces.dropFirst().dropLast() {
            if let split = LogValue.find(". ", in: piece, backwards: true) {
                deviceTexts.append(piece[..<split.lowerBound])
                names.append(String(LogValue.trimmed(piece[split.upperBound...])))
            } else {
                let split = piece.lastIndex(of: " ") ?? piece.startIndex
                deviceTexts.append(piece[..<split])
                names.append(String(LogValue.trimmed(piece[split...])))
            }
        }
        var last = LogValue.trimmed(pieces[pieces.count - 1])
        if last.utf8.last == UInt8(ascii: ".") { last = last.dropLast() }
        deviceTexts.append(last)
        return zip(names, deviceTexts).map { name, devices in
            LogParser.ComponentDevices(
                name: name.lowercased(),
                devices: devices.split(separator: ",").map { String(LogValue.trimmed($0)) }.filter {
                    !$0.isEmpty
                })
        }
    }
}
