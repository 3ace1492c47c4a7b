/// The name and version of the event log's line format, shared by the writer (``EventLogEncoder``)
/// and the reader (the parser's event-log scanner), so that neither depends on the other.
enum EventLogSchema {
    /// The `schema` value of the `run_started` line written now (`docs/events.schema.json` describes
    /// the format).
    static let name = "carbontracker.events/2"

    /// The formats the reader knows.
    enum Version: Equatable {
        /// `carbontracker.events/1` (`docs/events-v1.schema.json`): every line names its schema and run,
        /// epoch lines as windows.
        case full
        /// `carbontracker.events/2`: schema and run once, in `run_started`; compact epoch lines.
        case compact

        /// The version a `schema` value names, or `nil` for another format.
        /// - Parameter name: A `schema` value.
        init?(name: String) {
            switch name {
            case "carbontracker.events/1": self = .full
            case EventLogSchema.name: self = .compact
            default: return nil
            }
        }
    }
}
