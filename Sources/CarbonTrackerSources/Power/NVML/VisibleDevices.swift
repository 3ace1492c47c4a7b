import Foundation

/// The GPUs a process may use according to `CUDA_VISIBLE_DEVICES`, parsed as CUDA does.
///
/// ```swift
/// VisibleDevices.parse("0,GPU-8f2a")   // .listed([.index(0), .uuid("GPU-8f2a")])
/// VisibleDevices.parse("")             // .listed([]): no GPU
/// VisibleDevices.parse(nil)            // .all
/// ```
///
/// CUDA reads entries up to the first one it cannot use and ignores the rest, so parsing stops
/// there too. Python carbontracker instead fell back to every GPU whenever an entry was not an
/// integer, which measured GPUs the job could not even see.
enum VisibleDevices: Equatable, Sendable {
    /// One entry of the list.
    enum Entry: Equatable, Sendable {
        /// A device index, as NVML numbers devices.
        case index(Int)
        /// A GPU UUID (`GPU-...`) or a unique prefix of one.
        case uuid(String)
        /// A MIG instance (`MIG-<uuid>`, or the older `MIG-GPU-<uuid>/<gi>/<ci>`).
        case mig(String)
    }

    /// The variable is unset: every GPU.
    case all
    /// These entries, in order (empty: no GPU).
    case listed([Entry])

    /// Parses the variable's value.
    /// - Parameter value: `CUDA_VISIBLE_DEVICES`, or `nil` when unset.
    /// - Returns: The selection.
    static func parse(_ value: String?) -> VisibleDevices {
        guard let value else { return .all }
        var entries: [Entry] = []
        for token in value.split(separator: ",", omittingEmptySubsequences: false) {
            let entry = token.trimmingCharacters(in: .whitespaces)
            if let index = Int(entry), index >= 0, entry.allSatisfy({ $0.isASCII && $0.isNumber }) {
                entries.append(.index(index))
            } else if entry.hasPrefix("GPU-"), entry.count > 4 {
                entries.append(.uuid(entry))
            } else if entry.hasPrefix("MIG-"), entry.count > 4 {
                entries.append(.mig(entry))
            } else {
                break
            }
        }
        return .listed(entries)
    }

    /// The parent GPU's UUID written inside an old-style MIG name (`MIG-GPU-<uuid>/<gi>/<ci>`).
    static func parentUUID(inLegacyMIGName name: String) -> String? {
        guard name.hasPrefix("MIG-GPU-") else { return nil }
        return name.dropFirst(4).split(separator: "/").first.map(String.init)
    }
}
