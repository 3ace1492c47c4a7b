import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Names, arguments and `PATH` as the bytes the system gave them, never decoded as text: an argument
/// that is not UTF-8 (`caf\xe9` in Latin-1) reaches the program unchanged.
extension ChildProcess {
    /// Finds the executable a command name refers to, as a shell would but without running one.
    /// - Parameters:
    ///   - name: The command's first word, as bytes: a path when it contains `/`, else a name looked
    ///     up in `PATH`.
    ///   - searchPath: The `PATH` value as bytes; `nil` for `/usr/local/bin:/usr/bin:/bin`.
    /// - Returns: An absolute path to an executable regular file, as bytes.
    /// - Throws: ``LaunchError`` with status 127 when there is none, 126 when it is not executable.
    package static func resolve(bytes name: [UInt8], searchPath: [UInt8]?) throws(LaunchError) -> [UInt8] {
        let slash = UInt8(ascii: "/")
        let cwd = currentDirectoryBytes()
        let shown = String(decoding: name, as: UTF8.self)
        if name.contains(slash) {
            let path = name.first == slash ? name : cwd + [slash] + name
            guard isRegularFile(path) else {
                throw LaunchError(message: "\(shown): no such file", status: 127)
            }
            guard isExecutable(path) else {
                throw LaunchError(message: "\(shown): permission denied (not executable)", status: 126)
            }
            return path
        }
        var notExecutable: [UInt8]?
        let directories = (searchPath ?? Array("/usr/local/bin:/usr/bin:/bin".utf8)).split(
            separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        for directory in directories {
            let base =
                directory.isEmpty
                ? cwd : (directory.first == slash ? Array(directory) : cwd + [slash] + directory)
            let candidate = base + [slash] + name
            guard isRegularFile(candidate) else { continue }
            if isExecutable(candidate) { return candidate }
            notExecutable = notExecutable ?? candidate
        }
        if let notExecutable {
            throw LaunchError(
                message:
                    "\(String(decoding: notExecutable, as: UTF8.self)): permission denied (not executable)",
                status: 126)
        }
        throw LaunchError(message: "\(shown): command not found", status: 127)
    }

    /// A NUL-terminated copy of `bytes` for C, to be deallocated; a NUL inside `bytes` cannot occur in an
    /// argument the system gave.
    package static func cString(_ bytes: [UInt8]) -> UnsafeMutablePointer<CChar> {
        let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
        bytes.withUnsafeBufferPointer { source in
            for index in 0..<source.count { pointer[index] = CChar(bitPattern: source[index]) }
        }
        pointer[bytes.count] = 0
        return pointer
    }

    private static func currentDirectoryBytes() -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return Array(".".utf8) }
        return buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    }

    private static func isRegularFile(_ path: [UInt8]) -> Bool {
        var info = stat()
        return withCString(path) { stat($0, &info) } == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    private static func isExecutable(_ path: [UInt8]) -> Bool {
        withCString(path) { access($0, X_OK) } == 0
    }

    private static func withCString<Result>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> Result)
        -> Result
    {
        let pointer = cString(bytes)
        defer { pointer.deallocate() }
        return body(pointer)
    }
}
