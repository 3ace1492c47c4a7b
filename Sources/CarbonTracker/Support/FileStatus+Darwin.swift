#if canImport(Darwin)
    import Darwin

    extension stat {
        /// The last modification time (Darwin's `st_mtimespec`).
        var modificationTime: timespec { st_mtimespec }
    }
#endif
