import Foundation

/// The IDs of this process and all its descendants, for `devicesByPID`.
///
/// ```swift
/// ProcessTree.currentFamily()   // [4711, 4720, 4721]
/// ```
///
/// On Linux it reads `/proc/<pid>/stat` of every process once (a few milliseconds on a busy
/// machine); elsewhere it returns this process alone.
package enum ProcessTree {
    /// This process and its descendants.
    /// - Parameter procRoot: The proc file system's mount point.
    /// - Returns: The process IDs.
    package static func currentFamily(procRoot: String = "/proc") -> Set<Int32> {
        let me = ProcessInfo.processInfo.processIdentifier
        #if os(Linux)
            return family(of: me, procRoot: procRoot)
        #else
            return [me]
        #endif
    }

    /// `root` and its descendants, from every `/proc/<pid>/stat`.
    /// - Parameters:
    ///   - root: The process the family descends from.
    ///   - procRoot: The proc file system's mount point.
    /// - Returns: The process IDs.
    package static func family(of root: Int32, procRoot: String = "/proc") -> Set<Int32> {
        let children = childrenByParent(procRoot: procRoot)
        var family: Set<Int32> = [root]
        var queue = [root]
        while let pid = queue.popLast() {
            for child in children[pid, default: []] where family.insert(child).inserted {
                queue.append(child)
            }
        }
        return family
    }

    /// Parent → children, from every `/proc/<pid>/stat`.
    static func childrenByParent(procRoot: String) -> [Int32: [Int32]] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: procRoot) else { return [:] }
        var children: [Int32: [Int32]] = [:]
        for entry in entries {
            guard let pid = Int32(entry),
                let stat = try? BoundedFile.readText(
                    "\(procRoot)/\(entry)/stat", limit: BoundedFile.attributeLimit
                ).get(),
                let parent = parentPID(fromStat: stat)
            else { continue }
            children[parent, default: []].append(pid)
        }
        return children
    }

    /// The fourth field of a `stat` line; the command name before it may hold spaces and parentheses.
    static func parentPID(fromStat stat: String) -> Int32? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count >= 2 ? Int32(fields[1]) : nil
    }
}
