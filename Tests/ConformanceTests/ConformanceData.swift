import Foundation
import JSONCore

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

    /// The parsed file at `relativePath`, or `nil` (with a printed notice) when the suite is absent.
    static func load(_ relativePath: String) -> JSONValue? {
        guard let directory else { return nil }
        let url = directory.appendingPathComponent(relativePath)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            print("conformance: \(url.path) not found; suite skipped")
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
        guard let directory else { return nil }
        let url = directory.appendingPathComponent(relativePath)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: url.path) else {
            print("conformance: \(url.path) not found; suite skipped")
            return nil
        }
        return names.filter { $0.hasSuffix(".json") }.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: url.appendingPathComponent(name).path),
                let value = try? JSONValue(parsing: data)
            else { return nil }
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

import Testing
