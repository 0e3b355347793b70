import Testing

/// Help is what the user asked for: printed on standard output, exit status 0. A usage error
/// is on standard error, with status 2.
@Suite struct HelpTests {
    @Test(arguments: [
        (["--help"], "USAGE: statesman <subcommand>"),
        (["help"], "USAGE: statesman <subcommand>"),
        ([], "USAGE: statesman <subcommand>"),
        (["run", "--help"], "USAGE: statesman run <definition>"),
        (["help", "run"], "USAGE: statesman run <definition>"),
        (["validate", "-h"], "USAGE: statesman validate"),
        (["plugins", "check", "--help"], "USAGE: statesman plugins check"),
    ])
    func helpIsPrintedOnStandardOutput(arguments: [String], usage: String) throws {
        let result = try StatesmanProcess.run(arguments)
        #expect(result.status == 0)
        #expect(result.stdout.hasPrefix("OVERVIEW: "))
        #expect(result.stdout.contains(usage))
        #expect(result.stderr.isEmpty)
    }

    @Test func aUsageErrorIsOnStandardErrorWithStatus2() throws {
        let result = try StatesmanProcess.run(["run", "--no-such-option", "machine.json"])
        #expect(result.status == 2)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("Error: "))
        #expect(result.stderr.contains("--no-such-option"))
    }
}
