/// Apple silicon chips and the power the TDP estimate assumes for them, each with its source.
///
/// ```swift
/// CPUModel.thermalDesignPower(for: "Apple M2 Pro")   // .matched(name: "Apple M2 Pro", watts: 100)
/// ```
///
/// Apple publishes no TDP for its chips. Each figure here is the chip's peak package power under full CPU
/// and GPU load (the CPU, GPU and memory share one package and one power budget), as compiled by
/// "Apple SoC Energy Efficiency Overview", macnerd.xyz (https://macnerd.xyz/apple-soc-energy-efficiency-overview),
/// which names the measurement behind each row; that source is repeated beside every row. The Ultra rows and
/// the M2 family come from Apple's own Mac mini and Mac Studio power figures, which include the rest of the
/// machine. "Apple M1" is not listed: Python carbontracker's table already has it (10 W), and the estimate
/// keeps Python's figure so both tools agree. These rows are matched by exact name only, after Python's
/// table, and are not part of the average used for unknown CPUs, so nothing Python computes changes.
enum AppleSiliconTDP {
    /// One chip: the name `sysctl machdep.cpu.brand_string` reports, its peak package power, and where the
    /// figure comes from.
    struct Row: Sendable {
        /// The brand string, e.g. "Apple M3 Max".
        var name: String
        /// Peak package power in watts.
        var watts: Double
        /// Who measured or published the figure, as the compilation names them.
        var source: String
    }

    /// Every M1–M4 chip and its Pro, Max and Ultra variants (Apple made no M4 Ultra).
    static let rows: [Row] = [
        Row(name: "Apple M1 Pro", watts: 34, source: "NotebookCheck measurement, via macnerd.xyz"),
        Row(name: "Apple M1 Max", watts: 92, source: "AnandTech measurement, via macnerd.xyz"),
        Row(name: "Apple M1 Ultra", watts: 215, source: "Apple (Mac Studio maximum power), via macnerd.xyz"),
        Row(name: "Apple M2", watts: 50, source: "Apple (Mac mini maximum power), via macnerd.xyz"),
        Row(name: "Apple M2 Pro", watts: 100, source: "Apple (Mac mini maximum power), via macnerd.xyz"),
        Row(name: "Apple M2 Max", watts: 145, source: "Apple (Mac Studio maximum power), via macnerd.xyz"),
        Row(name: "Apple M2 Ultra", watts: 295, source: "Apple (Mac Studio maximum power), via macnerd.xyz"),
        Row(name: "Apple M3", watts: 20, source: "NotebookCheck measurement, via macnerd.xyz"),
        // The brand string does not say whether 11 or 12 cores are enabled; the 12-core figure is used.
        Row(name: "Apple M3 Pro", watts: 27, source: "NotebookCheck measurement (12 cores), via macnerd.xyz"),
        Row(
            name: "Apple M3 Max", watts: 116, source: "NotebookCheck measurement (16 cores), via macnerd.xyz"),
        Row(name: "Apple M3 Ultra", watts: 200, source: "TweakTown measurement, via macnerd.xyz"),
        Row(name: "Apple M4", watts: 35, source: "NotebookCheck measurement, via macnerd.xyz"),
        Row(name: "Apple M4 Pro", watts: 80, source: "NotebookCheck measurement, via macnerd.xyz"),
        Row(name: "Apple M4 Max", watts: 95, source: "NotebookCheck measurement, via macnerd.xyz"),
    ]

    /// The rows as the TDP table holds them.
    static var table: [(name: String, watts: Double)] { rows.map { ($0.name, $0.watts) } }
}
