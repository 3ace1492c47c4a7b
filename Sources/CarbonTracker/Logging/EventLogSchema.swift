/// The name and version of the event log's line format, shared by the writer (``EventLogEncoder``)
/// and the reader (the parser's event-log scanner), so that neither depends on the other.
enum EventLogSchema {
    /// The `schema` value of every line (`docs/events.schema.json` describes the format).
    static let name = "carbontracker.events/1"
}
