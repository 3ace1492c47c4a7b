extension LogDirectory {
    /// Fills the bounds a run's event log does not give from its text logs' range lines: the reports by
    /// kind, the epochs by number, the windows by position when their names agree. A bound the event
    /// log gives is kept.
    /// - Parameters:
    ///   - standardLog: The run as its event log gave it.
    ///   - outputLog: Its reports as its event log gave them.
    ///   - text: The run's standard log, when it was read.
    ///   - textOutput: The run's output log, when it was read.
    static func fillRanges(
        _ standardLog: inout LogParser.StandardLog, _ outputLog: inout LogParser.OutputLog,
        text: LogParser.StandardLog?, textOutput: LogParser.OutputLog?
    ) {
        if let textOutput {
            fill(&outputLog.actual, from: textOutput.actual)
            fill(&outputLog.predicted, from: textOutput.predicted)
        }
        guard let text else { return }
        if text.epochs.contains(where: { $0.energyKilowattHoursRange != nil }) {
            var byNumber: [Int: LogParser.Epoch] = [:]
            for epoch in text.epochs where epoch.energyKilowattHoursRange != nil {
                byNumber[epoch.number] = epoch
            }
            for index in standardLog.epochs.indices
            where standardLog.epochs[index].energyKilowattHoursRange == nil {
                guard let logged = byNumber[standardLog.epochs[index].number] else { continue }
                standardLog.epochs[index].energyKilowattHoursRange = logged.energyKilowattHoursRange
                standardLog.epochs[index].co2eqGramsRange = logged.co2eqGramsRange
            }
        }
        for (index, window) in zip(standardLog.windows.indices, text.windows)
        where standardLog.windows[index].energyKilowattHoursRange == nil
            && standardLog.windows[index].name == window.name
        {
            standardLog.windows[index].energyKilowattHoursRange = window.energyKilowattHoursRange
            standardLog.windows[index].co2eqGramsRange = window.co2eqGramsRange
        }
    }

    private static func fill(_ report: inout LogParser.Consumption?, from logged: LogParser.Consumption?) {
        guard var current = report, current.energyKilowattHoursRange == nil, let logged,
            logged.epochs == current.epochs, logged.energyKilowattHoursRange != nil
        else { return }
        current.energyKilowattHoursRange = logged.energyKilowattHoursRange
        current.co2eqGramsRange = logged.co2eqGramsRange
        report = current
    }
}
