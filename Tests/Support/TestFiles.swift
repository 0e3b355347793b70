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

    /// Writes an executable script. Its descriptor is closed on exec: written with Foundation
    /// (which leaves it open across exec), a process another test started meanwhile would hold
    /// the script open for writing as long as it ran, and the script could not be started
    /// ("Text file busy") until that process ended.
    public static func writeScript(_ text: String, to url: URL) throws {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path]) }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path]) }
            written += count
        }
        // The mode `open` gave a new file is narrowed by the umask; an existing file keeps its own.
        guard fchmod(descriptor, 0o755) == 0 else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path]) }
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
