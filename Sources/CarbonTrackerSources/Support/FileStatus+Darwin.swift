#if canImport(Darwin)
    import Darwin

    extension stat {
        /// The last modification time (Darwin's `st_mtimespec`).
        package var modificationTime: timespec { st_mtimespec }
    }
#endif
