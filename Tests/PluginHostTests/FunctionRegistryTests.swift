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
