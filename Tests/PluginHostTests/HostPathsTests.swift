import Foundation
import Testing

@testable import PluginHost

/// How the host finds the Python interpreter behind `python3` on PATH, with real files: a
/// link to the interpreter, and a shell-script shim of the kind version managers install.
struct HostPathsTests {
    let interpreter = Fixtures.paths.python ?? "/usr/bin/python3"

    func directory(named name: String) throws -> String {
        let path = NSTemporaryDirectory() + "statesman-paths-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func aLinkToTheInterpreterIsUsedByItsOwnPath() throws {
        let bin = try directory(named: "link")
        defer { try? FileManager.default.removeItem(atPath: bin) }
        try FileManager.default.createSymbolicLink(atPath: "\(bin)/python3", withDestinationPath: interpreter)
        // By the link's path, not the interpreter's: a virtual environment's python3 is such a
        // link, and only started by its own path does it use that environment.
        #expect(HostPaths.isMachineCode("\(bin)/python3"))
        #expect(HostPaths.resolvePython(searching: "/nonexistent:\(bin):/usr/bin") == "\(bin)/python3")
    }

    @Test func aScriptOnPathIsAskedForTheInterpreter() throws {
        let bin = try directory(named: "shim")
        defer { try? FileManager.default.removeItem(atPath: bin) }
        let shim = "\(bin)/python3"
        try "#!/bin/sh\nexec \(interpreter) \"$@\"\n".write(toFile: shim, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: shim)
        #expect(!HostPaths.isMachineCode(shim))
        // A process another test starts meanwhile may hold the new file open for a moment
        // (the shim then cannot be started: ETXTBSY), so it gets a few tries.
        var found = try #require(HostPaths.resolvePython(searching: bin))
        for _ in 0..<20 where found == shim {
            usleep(50_000)
            found = try #require(HostPaths.resolvePython(searching: bin))
        }
        #expect(found != shim)
        #expect(HostPaths.isMachineCode(found))
        #expect(URL(fileURLWithPath: found).resolvingSymlinksInPath().path == URL(fileURLWithPath: interpreter).resolvingSymlinksInPath().path)
    }

    @Test func noPython3OnPathIsNoInterpreter() throws {
        let bin = try directory(named: "empty")
        defer { try? FileManager.default.removeItem(atPath: bin) }
        #expect(HostPaths.resolvePython(searching: bin) == nil)
    }
}
