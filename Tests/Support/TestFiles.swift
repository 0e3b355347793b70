import Foundation

/// Where tests keep their files: one directory per test process under the system's temporary
/// directory, removed when the process exits, so that a run leaves nothing behind in `/tmp` —
/// also when a test fails or throws before its own clean-up.
public enum TestFiles {
    /// `$TMPDIR/statesman-tests-PID-RANDOM`, made on first use.
    public static let root: URL = {
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("statesman-tests-\(getpid())-XXXXXX").path
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { fatalError("cannot make a directory for test files at \(template): \(String(cString: strerror(errno)))") }
        atexit(removeTestFiles)
        return URL(fileURLWithPath: String(cString: made), isDirectory: true)
    }()

    /// A path under the root that nothing uses yet, named `name-UUID` (not created).
    public static func path(_ name: String) -> URL {
        root.appendingPathComponent("\(name)-\(UUID().uuidString)")
    }

    /// A new, empty directory under the root.
    public static func directory(_ name: String) throws -> URL {
        let url = path(name)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

private func removeTestFiles() {
    try? FileManager.default.removeItem(at: TestFiles.root)
}
