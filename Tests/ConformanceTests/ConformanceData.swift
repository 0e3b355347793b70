import Foundation
import JSONCore
import Testing

/// Finds `../shared/conformance/` (or `$STATESMAN_CONFORMANCE_DIR`) and reads its files.
enum ConformanceData {
    static var directory: URL? {
        if let override = ProcessInfo.processInfo.environment["STATESMAN_CONFORMANCE_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        // Tests/ConformanceTests/ConformanceData.swift → package root → ../shared/conformance
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/conformance")
    }

    /// Whether the conformance folder is there. When it is not, suites print that they were
    /// skipped, except under CI (`CI=true`), which always has it: there its absence fails.
    static func available() -> Bool {
        guard let directory, FileManager.default.fileExists(atPath: directory.path) else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("conformance data not found at \(directory?.path ?? "?") (CI must have ../shared/conformance)")
            }
            return false
        }
        return true
    }

    /// The parsed file at `relativePath`, or `nil` (with a printed notice) when the conformance
    /// folder is absent. A missing or unreadable file in a present folder is a failure.
    static func load(_ relativePath: String) -> JSONValue? {
        guard available(), let directory else { return nil }
        let url = directory.appendingPathComponent(relativePath)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            Issue.record("conformance file \(url.path) is missing")
            return nil
        }
        do {
            return try JSONValue(parsing: data)
        } catch {
            Issue.record("conformance file \(url.path) does not parse: \(error)")
            return nil
        }
    }

    /// The files of a folder, parsed, sorted by name.
    static func loadFolder(_ relativePath: String) -> [(name: String, value: JSONValue)]? {
        guard available(), let directory else { return nil }
        let url = directory.appendingPathComponent(relativePath)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else {
            Issue.record("conformance folder \(url.path) is missing")
            return nil
        }
        return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            let path = url.appendingPathComponent(name).path
            guard let data = FileManager.default.contents(atPath: path), let value = try? JSONValue(parsing: data) else {
                Issue.record("conformance file \(path) does not parse")
                return nil
            }
            return (name, value)
        }
    }

    /// The pass counts recorded in `Tests/ConformanceTests/ratchet.json`; a suite may never fall
    /// below its count.
    static func ratchet(_ suite: String) -> Int {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("ratchet.json")
        guard let data = FileManager.default.contents(atPath: url.path),
            let value = try? JSONValue(parsing: data),
            let count = value[suite]?.integerValue
        else { return 0 }
        return Int(count)
    }
}

