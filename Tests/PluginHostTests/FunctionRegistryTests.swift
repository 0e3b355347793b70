import Foundation
import PluginProtocol
import Testing

@testable import PluginHost

struct FunctionRegistryTests {
    func function(_ settings: String) throws -> FunctionConfiguration? {
        try FunctionRegistry.parse("functions:\n  fn:\n    handler: module.handler\n\(settings)", directory: "/code")["fn"]
    }

    func problem(_ settings: String) -> String? {
        do {
            _ = try function(settings)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func pipeliningIsAutomaticUnlessANumberIsGiven() throws {
        #expect(try function("")?.pipelining == .automatic)
        #expect(try function("    pipeline: auto\n")?.pipelining == .automatic)
        #expect(try function("    pipeline: 0\n")?.pipelining == .depth(0))
        #expect(try function("    pipeline: 16\n")?.pipelining == .depth(16))
        #expect(problem("    pipeline: fast\n")?.contains("functions.fn.pipeline: must be a number or auto") == true)
        #expect(problem("    pipeline: 2000\n")?.contains("functions.fn.pipeline: must be from 0 to 1,024") == true)
    }

    @Test func countsAndSizesAreWholeNumbersInLambdasRanges() throws {
        #expect(try function("    memory: 1024\n    concurrency: 4.0\n")?.memoryMB == 1024)
        #expect(try function("    concurrency: 4.0\n")?.maximumWorkers == 4)
        #expect(problem("    memory: 128.5\n")?.contains("functions.fn.memory: must be a whole number from 128 to 10,240") == true)
        #expect(problem("    memory: 64\n")?.contains("functions.fn.memory: must be from 128 to 10,240") == true)
        #expect(problem("    concurrency: 1.5\n")?.contains("functions.fn.concurrency: must be a whole number") == true)
        #expect(problem("    pipeline: 2.5\n")?.contains("functions.fn.pipeline: must be a whole number") == true)
        // A sandbox setting is named where it is, under `sandbox`.
        #expect(problem("    sandbox: {processes: 0.5}\n")?.contains("functions.fn.sandbox.processes: must be from 1 to") == true)
        #expect(problem("    sandbox: {openFiles: 64.5}\n")?.contains("functions.fn.sandbox.openFiles: must be a whole number") == true)
        // Seconds may have fractions (Lambda's timeout is whole seconds; see docs/compatibility.md).
        #expect(try function("    timeout: 0.5\n")?.timeoutSeconds == 0.5)
    }

    @Test func environmentIsStringsUnderNamesLambdaTakes() throws {
        let variables = try function("    environment: {TABLE: orders, RETRIES: 3, VERBOSE: true, PRICE: \"1.50\"}\n")?.environment
        #expect(variables == ["TABLE": "orders", "RETRIES": "3", "VERBOSE": "true", "PRICE": "1.50"])
        // A value that would not read back as written, or that is no string at all.
        for value in ["1.50", "null", "[a, b]", "{x: 1}"] {
            #expect(problem("    environment: {PRICE: \(value)}\n")?.contains("functions.fn.environment.PRICE: must be a string") == true)
        }
        for name in ["A", "1ST", "MY-VAR", "\"A B\""] {
            #expect(problem("    environment: {\(name): x}\n")?.contains("is not a name Lambda takes") == true, "\(name)")
        }
        #expect(problem("    environment: {AWS_REGION: eu-west-1}\n")?.contains("functions.fn.environment.AWS_REGION: is set by Lambda's runtime") == true)
        #expect(problem("    environment: {_HANDLER: other.handler}\n")?.contains("is set by Lambda's runtime") == true)
        // Keys for a local endpoint are the function's own to give (no execution role here).
        #expect(try function("    environment: {AWS_ACCESS_KEY_ID: test}\n")?.environment == ["AWS_ACCESS_KEY_ID": "test"])
        let big = String(repeating: "x", count: 4_094)
        #expect(try function("    environment: {BIG: \(big.dropLast(3))}\n") != nil)
        #expect(problem("    environment: {BIG: \(big)}\n")?.contains("holds 4097 bytes of names and values; Lambda takes at most 4 KB") == true)
        #expect(problem("    environment: [A, B]\n")?.contains("functions.fn.environment: must be a mapping") == true)
    }

    @Test func functionNamesAndDirectoriesAreCheckedWhereTheyAreGiven() throws {
        #expect(try FunctionRegistry.parse("functions:\n  Order_Check-2:\n    handler: m.h\n", directory: "/")["Order_Check-2"] != nil)
        for name in ["\"my fn\"", "\"fn:prod\"", "\"\(String(repeating: "f", count: 65))\""] {
            #expect(throws: RegistryError.self) { try FunctionRegistry.parse("functions:\n  \(name):\n    handler: m.h\n", directory: "/") }
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("registry-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("code"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        #expect(FileManager.default.createFile(atPath: scratch.appendingPathComponent("code/m.py").path, contents: Data()))
        func read(_ directory: String) throws(RegistryError) -> FunctionConfiguration? {
            try FunctionRegistry.parse("functions:\n  fn:\n    handler: m.h\n    directory: \(directory)\n", directory: scratch.path)["fn"]
        }
        #expect(try read("code")?.codeDirectory == scratch.appendingPathComponent("code").path)
        do {
            _ = try read("missing")
            Issue.record("a missing directory was taken")
        } catch {
            #expect(error.description == "<registry>: functions.fn.directory: \(scratch.path)/missing does not exist")
        }
        do {
            _ = try read("code/m.py")
            Issue.record("a file was taken as the directory")
        } catch {
            #expect(error.description.hasSuffix("functions.fn.directory: \(scratch.path)/code/m.py is not a directory"))
        }
    }

    @Test func aRegistryPathThatIsNoFileSaysWhat() {
        func problem(_ path: String) -> String? {
            do {
                _ = try FunctionRegistry.load(path: path)
                return nil
            } catch {
                return error.description
            }
        }
        #expect(problem("/no/such/functions.yaml") == "/no/such/functions.yaml: no such file")
        #expect(problem(FileManager.default.temporaryDirectory.path) == "\(FileManager.default.temporaryDirectory.path): a directory, not a registry file")
    }

    func pool(_ pipelining: Pipelining) -> Pool {
        let identity = FunctionIdentity(name: "fn", arn: "arn:aws:lambda:us-east-1:123456789012:function:fn", memoryLimitInMB: 128, timeoutMilliseconds: 3000)
        return Pool(function: FunctionConfiguration(name: "fn", pipelining: pipelining), identity: identity)
    }

    /// Runs read in whole milliseconds: a 50 µs run reads 0 mostly and 1 when it crosses a
    /// millisecond, and the mean of many readings comes out at its length.
    @Test func automaticPipeliningFollowsTheRecentRunTimes() {
        let pool = pool(.automatic)
        for _ in 0..<15 { pool.recordRun(from: 100, to: 100) }
        #expect(pool.pipelineDepth == 0, "nothing queued before 16 runs are measured")
        pool.recordRun(from: 100, to: 100)
        #expect(pool.pipelineDepth == Pipelining.automaticLimit)
        for index in 0..<200 { pool.recordRun(from: 100, to: index % 20 == 0 ? 101 : 100) }
        #expect(pool.pipelineDepth == Pipelining.automaticLimit, "about 50 µs each: the limit")
        for index in 0..<200 { pool.recordRun(from: 100, to: index % 4 == 0 ? 101 : 100) }
        #expect((3...5).contains(pool.pipelineDepth), "about 250 µs each: four fit in a millisecond")
        pool.recordRun(from: 100, to: 2_100)
        #expect(pool.pipelineDepth == 0, "one two-second run stops the queueing at once")
        for _ in 0..<200 { pool.recordRun(from: 100, to: 105) }
        #expect(pool.pipelineDepth == 0)
        for _ in 0..<200 { pool.recordRun(from: 100, to: 100) }
        #expect(pool.pipelineDepth == Pipelining.automaticLimit, "and short runs start it again")
    }

    @Test func aFixedDepthIsKeptWhateverTheRunTimes() {
        let pool = pool(.depth(3))
        #expect(pool.pipelineDepth == 3)
        for _ in 0..<50 { pool.recordRun(from: 0, to: 5_000) }
        #expect(pool.pipelineDepth == 3)
    }
}
