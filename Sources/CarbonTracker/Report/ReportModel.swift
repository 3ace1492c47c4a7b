/// The figures an ``HTMLReport`` shows, computed once from the parsed logs.
///
/// Per-epoch energy is the logged measurement when there is one (logs of this package), else average
/// power × duration (Python logs); it is multiplied by the PUE factor like the reports' totals.
/// Per-epoch CO2eq uses the run's average intensity, so it adds up to the actual report's figure
/// when the intensity did not change. A run of any length gives a model of bounded size: the charts
/// read ``bins`` (at most ``maximumPoints``), the table keeps the first and last epochs
/// (``tableEdgeRows`` each).
package struct ReportModel {
    /// Bins per-epoch chart has at most.
    static let maximumPoints = 600
    /// Epochs shown at each end of the table when a run has more than twice as many.
    static let tableEdgeRows = 50

    struct EpochRow {
        var number: Int
        var durationSeconds: Double
        /// Total watts over each component's devices; `nil` when the component has no figure.
        var watts: [Double?]
        /// Joules per component, without PUE.
        var joules: [Double?]
        var kilowattHours: Double
        var co2eqGrams: Double?
        var cumulativeCO2eqGrams: Double?
        /// The energy of the run up to and including this epoch, incl. PUE.
        var cumulativeKilowattHours: Double
        var energyKilowattHoursRange: ClosedRange<Double>?
        var co2eqGramsRange: ClosedRange<Double>?
    }

    package struct ComponentRow {
        var name: String
        var devices: [String]
        var method: MeasurementMethod?
        var averageWatts: Double?
        package var kilowattHours: Double
    }

    package var components: [ComponentRow] = []
    /// The epochs of the table: all of them, or the first and last ``tableEdgeRows``.
    var epochs: [EpochRow] = []
    /// Epochs counted in the totals and charts.
    package var epochCount = 0
    /// The per-epoch figures in bins, for the charts.
    var bins = EpochBins(capacity: maximumPoints)
    var pueFactor: Double
    var gramsPerKilowattHour: Double?
    package var durationSeconds: Double
    package var kilowattHours: Double
    package var co2eqGrams: Double?
    /// The energy the epochs' provenance lines measured, in joules without PUE; `nil` when no epoch
    /// has one (Python logs). The region profile's share of the run when there is no power series.
    var measuredJoules: Double?
    /// Bounds of the total energy (incl. PUE) and CO2eq, when the logs give them.
    package var kilowattHoursRange: ClosedRange<Double>?
    package var co2eqGramsRange: ClosedRange<Double>?
    var equivalents: [ConsumptionReport.Equivalent]
    /// Where the totals come from: the actual report, or the epochs when there is none.
    var totalsFromActualReport: Bool

    /// Figures left out, in one sentence each (at most one about epochs).
    var warnings: [String] = []

    /// Epochs between the table's first and last rows that it leaves out.
    var omittedRows: Int { epochCount - epochs.count }

    /// Computes the figures.
    /// - Parameters:
    ///   - log: The run's standard log.
    ///   - output: Its output log, if any.
    ///   - sourceName: The log's name, for the warnings.
    package init(
        standardLog log: LogParser.StandardLog, output: LogParser.OutputLog?, sourceName: String = "the log"
    ) {
        var builder = Builder(header: log, sourceName: sourceName)
        for epoch in log.epochs { builder.add(epoch) }
        self = builder.finish(log: log, output: output)
    }

    /// The model with its figures, made by ``Builder/finish(log:output:)``.
    init(
        pueFactor: Double, durationSeconds: Double, kilowattHours: Double, totalsFromActualReport: Bool,
        equivalents: [ConsumptionReport.Equivalent]
    ) {
        self.pueFactor = pueFactor
        self.durationSeconds = durationSeconds
        self.kilowattHours = kilowattHours
        self.totalsFromActualReport = totalsFromActualReport
        self.equivalents = equivalents
    }

    /// Bounds with a width: a degenerate range (the value alone) is not worth drawing or printing.
    static func spread(_ range: ClosedRange<Double>?) -> ClosedRange<Double>? {
        guard let range, range.lowerBound.isFinite, range.upperBound.isFinite,
            range.upperBound > range.lowerBound
        else { return nil }
        return range
    }
}
