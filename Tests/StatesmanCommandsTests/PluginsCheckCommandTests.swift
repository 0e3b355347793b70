import Foundation
import Testing

/// `statesman plugins check` as a plugin author runs it.
@Suite struct PluginsCheckCommandTests {
    static let plugins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("plugins").path

    @Test func aConformingPluginPassesEveryTranscript() throws {
        let result = try StatesmanProcess.run([
            "plugins", "check", "--exact", "--", "/usr/bin/env", "python3", "\(Self.plugins)/python/statesman_runner.py", "--handler", "echo.handler",
            "--code", "\(Self.plugins)/examples/echo",
        ])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("ok    01-handshake.jsonl"))
        #expect(!result.stdout.contains("FAIL"))
        let counts = result.stdout.split(separator: "\n").last?.split(separator: " ")
        #expect(counts?.count == 5 && counts?[0] == counts?[2] && counts?[3] == "transcripts", "\(result.stdout)")
    }

    /// A plugin that dies before its hello is reported once, with its own last words, instead
    /// of failing every transcript after the timeout.
    @Test func aPluginThatCannotStartIsReportedOnceWithItsLog() throws {
        let result = try StatesmanProcess.run([
            "plugins", "check", "--timeout", "2", "--", "/usr/bin/env", "python3", "-c", "import no_such_module",
        ])
        #expect(result.status == 1)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first == "FAIL  handshake")
        #expect(lines.count == 3, "\(result.stdout)")
        #expect(result.stdout.contains("before its hello message; its last log lines: Traceback"))
        #expect(result.stdout.contains("ModuleNotFoundError: No module named 'no_such_module'"))
        #expect(lines.last?.hasPrefix("0 of ") == true && lines.last?.hasSuffix("transcripts passed (none was run: each begins with the handshake)") == true)
    }
}
