import Foundation
import JSONCore
@testable import PluginHost
import PluginProtocol
import TestSupport
import Testing

/// The host against real plugin processes: one fixture behaviour per failure mode. Each test
/// checks the error name and message, that the pool serves again afterwards, and that every
/// worker process was reaped after shutdown.
@Suite struct PluginHostTests {
    @Test func pythonHandlerGetsLambdaContextAndWorkerIsReused() async throws {
        let host = Fixtures.host([Fixtures.handler("context", "identity_with_context")])
        var pids = Set<Int32>()
        for number in 0..<20 {
            let result = await host.invoke(function: "context", payload: ["n": .int(Int64(number))], context: Fixtures.context(number))
            let value = try #require(result.value)
            #expect(value["event"] == ["n": .int(Int64(number))])
            #expect(value["function_name"] == "context")
            #expect(value["memory_limit_in_mb"] == "128")
            #expect(value["aws_request_id"] == .string("request-\(number)"))
            #expect(value["invoked_function_arn"] == "arn:aws:lambda:us-east-1:123456789012:function:test")
            #expect(value["remaining_positive"] == true)
            #expect(value["state"] == ["name": "State"])
            #expect(value["region"] == "us-east-1")
            pids.formUnion(host.workerProcessIDs)
        }
        #expect(pids.count == 1, "one warm worker serves invocations one after another")
        await host.shutdown()
        #expect(allReaped(Array(pids)))
    }

    @Test func raisedExceptionBecomesLambdaError() async throws {
        let host = Fixtures.host([Fixtures.handler("raise", "raise_exception"), Fixtures.handler("custom", "raise_custom_exception")])
        let failure = try #require(await host.invoke(function: "raise", payload: [:], context: Fixtures.context()).failure)
        #expect(failure.error == "Exception")
        #expect(failure.errorType == "Exception")
        #expect(failure.errorMessage == "Some exception was raised.")
        #expect(failure.requestId == "request-0")
        let trace = try #require(failure.stackTrace)
        #expect(trace.count == 1 && trace[0].contains("handlers.py") && trace[0].contains("raise Exception(\"Some exception was raised.\")"))
        let custom = try #require(await host.invoke(function: "custom", payload: [:], context: Fixtures.context()).failure)
        #expect(custom.error == "CustomException" && custom.errorMessage == "")
        let pids = host.workerProcessIDs
        #expect(pids.count == 2, "a raised exception does not cost the worker")
        await host.shutdown()
        #expect(allReaped(pids))
    }

    @Test func crashMidInvocationIsLambdaUnknownAndPoolRecovers() async throws {
        let host = Fixtures.host([Fixtures.misbehaving("plugin")])
        let first = await host.invoke(function: "plugin", payload: ["do": "echo"], context: Fixtures.context())
        #expect(first.value == ["do": "echo"])
        let crashedPids = host.workerProcessIDs
        let failure = try #require(await host.invoke(function: "plugin", payload: ["do": "crash"], context: Fixtures.context(1)).failure)
        #expect(failure.error == "Lambda.Unknown")
        #expect(failure.errorType == "Runtime.ExitError")
        #expect(failure.errorMessage == "RequestId: request-1 Error: Runtime exited with error: exit status 3")
        let again = await host.invoke(function: "plugin", payload: ["do": "echo", "n": 2], context: Fixtures.context(2))
        #expect(again.value == ["do": "echo", "n": 2])
        let pids = host.workerProcessIDs
        #expect(Set(pids).isDisjoint(with: crashedPids), "a new worker replaced the one that crashed")
        await host.shutdown()
        #expect(allReaped(crashedPids + pids))
    }

    @Test func signalsAreSpelledAsGoSpellsThem() {
        #expect(signalName(SIGKILL) == "killed")
        #expect(signalName(SIGSEGV) == "segmentation fault")
        #expect(signalName(SIGABRT) == "aborted")
        #expect(signalName(SIGINT) == "interrupt")
        #expect(signalName(SIGXCPU) == "CPU time limit exceeded")
        #expect(signalName(SIGIO) == "I/O possible")
        #expect(signalName(64) == "signal 64")
        #expect(lambdaExitReason(status: 0, signal: 0) == "Runtime exited without providing a reason")
        #expect(lambdaExitReason(status: 2, signal: 0) == "Runtime exited with error: exit status 2")
        #expect(lambdaExitReason(status: 0, signal: SIGTERM) == "Runtime exited with error: signal: terminated")
    }

    /// A worker that dies during an invocation is reported in the words of Lambda's
    /// supervisor: after exit status 0 (here mid-line), and after a signal (SIGKILL, as the
    /// kernel's out-of-memory killer sends it) by the signal's name.
    @Test(arguments: [
        ("midline", "Runtime exited without providing a reason"),
        ("killed", "Runtime exited with error: signal: killed"),
    ])
    func aWorkerThatDiesMidInvocationIsLambdaUnknown(action: String, reason: String) async throws {
        let host = Fixtures.host([Fixtures.misbehaving("plugin")])
        let failure = try #require(await host.invoke(function: "plugin", payload: ["do": .string(action)], context: Fixtures.context(4)).failure)
        #expect(failure.error == "Lambda.Unknown")
        #expect(failure.errorType == "Runtime.ExitError")
        #expect(failure.errorMessage == "RequestId: request-4 Error: \(reason)")
        #expect(await host.invoke(function: "plugin", payload: ["do": "echo"], context: Fixtures.context()).value == ["do": "echo"])
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
    }

    @Test func hangingFunctionTimesOutAsSandboxTimedout() async throws {
        let host = Fixtures.host([Fixtures.misbehaving("plugin") { $0.timeoutSeconds = 0.5 }])
        let failure = try #require(await host.invoke(function: "plugin", payload: ["do": "hang"], context: Fixtures.context(7)).failure)
        #expect(failure.error == "Sandbox.Timedout")
        #expect(failure.errorMessage.hasSuffix(" request-7 Task timed out after 0.50 seconds"))
        #expect(await host.invoke(function: "plugin", payload: ["do": "echo"], context: Fixtures.context()).value == ["do": "echo"])
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
    }

    /// A caller resumed by an answer its function was waiting for runs on the loop thread until
    /// it suspends again. One that keeps the thread past another invocation's deadline does
    /// not make that invocation late: its answer, which came in time, is read first.
    @Test func aCallerHoldingTheLoopThreadMakesNoAnswerLate() async throws {
        let host = Fixtures.host([Fixtures.handler("quick", "echo"), Fixtures.handler("slow", "nap") { $0.timeoutSeconds = 1 }])
        // Both warm: the timed invocation's second is its own.
        #expect(await host.invoke(function: "quick", payload: [:], context: Fixtures.context()).value == [:])
        #expect(await host.invoke(function: "slow", payload: ["seconds": 0], context: Fixtures.context()).value == "rested")
        let clock = ContinuousClock()
        var stalled = false
        for round in 0..<5 where !stalled {
            // Answered half a second in, within its one-second timeout.
            let started = clock.now
            let slow = Task {
                let result = await host.invoke(function: "slow", payload: ["seconds": 0.5], context: Fixtures.context(1))
                return (result, clock.now)
            }
            try await Task.sleep(for: .milliseconds(100))
            // This caller, resumed by the quick answer, runs on the loop thread when the thread
            // gets to it within its budget for callers; a busy machine (the suite runs tests in
            // parallel) can leave it to the executor's threads, so it asks again for a while,
            // and when that takes too long (the slow answer may come first) starts again.
            let asking = clock.now
            var onLoopThread = false
            for attempt in 2..<12 where !onLoopThread && clock.now - asking < .milliseconds(200) {
                let payload: JSONValue = ["n": .int(Int64(attempt + round * 100))]
                #expect(await host.invoke(function: "quick", payload: payload, context: Fixtures.context(attempt)).value == payload)
                onLoopThread = host.isOnLoopThread
            }
            // Timed from the slow invocation's start: a machine that stalls this task (even in
            // the sleep above) past its answer would otherwise stall after the answer was read.
            guard onLoopThread, clock.now - started < .milliseconds(400) else {
                _ = await slow.value
                continue
            }
            // Past the slow invocation's deadline, without suspending.
            let stallEnd = clock.now + .milliseconds(1500)
            usleep(1_500_000)
            stalled = true
            let (result, answeredAt) = await slow.value
            #expect(result.value == "rested", "\(result)")
            #expect(answeredAt >= stallEnd, "the answer was read after the stall: this caller held the loop thread")
        }
        #expect(stalled, "the caller was never run on the loop thread in time")
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
    }

    /// The loop thread runs as SCHED_BATCH (woken by an answer, it waits for a free core rather
    /// than preempting a worker or a caller), and so do the workers it starts (woken by an
    /// invoke line, a worker waits for the loop thread to finish rather than preempting it).
    @Test func theLoopThreadAndItsWorkersAreBatchScheduled() async throws {
        let host = Fixtures.host([Fixtures.handler("echo", "echo")])
        #expect(await host.invoke(function: "echo", payload: 7, context: Fixtures.context()).value == 7)
        let engine = sched_getscheduler(getpid())
        let batch: Int32 = 3  // SCHED_BATCH; an engine started under another policy than SCHED_OTHER keeps it
        let expected = engine == SCHED_OTHER ? batch : engine
        let loop = "/proc/self/task/\(host.loopThreadID)"
        #expect((try? String(contentsOfFile: loop + "/comm", encoding: .utf8)) == "statesman-loop\n")
        #expect(schedulingPolicy(loop + "/stat") == expected)
        let pids = host.workerProcessIDs
        #expect(pids.count == 1)
        #expect(pids.allSatisfy { schedulingPolicy("/proc/\($0)/stat") == expected })
        await host.shutdown()
        #expect(allReaped(pids))
    }

    @Test func pluginThatNeverSaysHelloFailsToStart() async throws {
        let host = Fixtures.host([Fixtures.misbehaving("silent", ["no-hello"]) { $0.startSeconds = 0.5 }])
        let failure = try #require(await host.invoke(function: "silent", payload: [:], context: Fixtures.context()).failure)
        #expect(failure.error == "Plugin.StartFailed")
        #expect(failure.errorMessage.contains("no hello within 0.5 seconds"))
        await host.shutdown()
        #expect(host.workerProcessIDs.isEmpty)
    }

    @Test func pluginWithoutACommonVersionFailsToStart() async throws {
        let host = Fixtures.host([Fixtures.misbehaving("future", ["bad-version"])])
        let failure = try #require(await host.invoke(function: "future", payload: [:], context: Fixtures.context()).failure)
        #expect(failure.error == "Plugin.StartFailed")
        #expect(failure.errorMessage.contains("protocol versions [99]"))
        await host.shutdown()
    }

    @Test func missingExecutableFailsToStartWithItsPath() async throws {
        let host = Fixtures.host([FunctionConfiguration(name: "ghost", command: ["/no/such/plugin"])])
        let failure = try #require(await host.invoke(function: "ghost", payload: [:], context: Fixtures.context()).failure)
        #expect(failure.error == "Plugin.StartFailed")
        #expect(failure.errorMessage.contains("/no/such/plugin"))
        await host.shutdown()
    }

    @Test func emptyCommandFailsToStartInsteadOfCrashing() async throws {
        // The registry refuses it; a configuration built in code reaches the host as it is.
        let host = Fixtures.host([FunctionConfiguration(name: "nothing", command: [])])
        let failure = try #require(await host.invoke(function: "nothing", payload: [:], context: Fixtures.context()).failure)
        #expect(failure.error == "Plugin.StartFailed")
        #expect(failure.errorMessage.contains("its command is empty"))
        await host.shutdown()
    }

    @Test(arguments: [
        ("garbage", "the line is not JSON"),
        // Shaped like the runners' result lines, which the loop thread passes on undecoded.
        ("broken-result", "the line is not JSON"),
        ("result-with-second-id", "an answer that is not the result of invocation"),
        ("oversize", "a line longer than 6291456 bytes"),
        ("wrong-id", "an answer for the unknown invocation id \"no-such-id\""),
    ])
    func protocolViolationReplacesTheWorker(action: String, message: String) async throws {
        let host = Fixtures.host([Fixtures.misbehaving("plugin")])
        func workerPID() async throws -> Int32 {
            let answer = await host.invoke(function: "plugin", payload: ["do": "slow", "seconds": 0], context: Fixtures.context())
            return Int32(try #require(answer.value?["pid"]?.integerValue))
        }
        let broken = try await workerPID()
        let failure = try #require(await host.invoke(function: "plugin", payload: ["do": .string(action)], context: Fixtures.context()).failure)
        #expect(failure.error == "Plugin.ProtocolError")
        #expect(failure.errorMessage.contains(message), "\(failure.errorMessage)")
        #expect(await host.invoke(function: "plugin", payload: ["do": "echo"], context: Fixtures.context()).value == ["do": "echo"])
        #expect(try await workerPID() != broken, "a new worker answers")
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped([broken] + pids))
    }

    @Test func stderrFloodReachesTheLogWithMetadata() async throws {
        let logs = LogStore()
        let host = Fixtures.host([Fixtures.handler("noisy", "flood_stderr")], logs: logs)
        let result = await host.invoke(function: "noisy", payload: ["lines": 20_000], context: Fixtures.context(9))
        #expect(result.value == ["done": true])
        let pids = host.workerProcessIDs
        await host.shutdown()
        let lines = logs.all.filter { $0.message.hasPrefix("log line ") }
        #expect(lines.count == 20_000)
        #expect(lines.last?.message == "log line 19999")
        #expect(lines.allSatisfy { $0.metadata["function"] == "noisy" && $0.metadata["pid"] == String(pids.first ?? 0) })
        #expect(lines.contains { $0.metadata["requestId"] == "request-9" && $0.metadata["execution"] == "execution-arn" })
        #expect(logs.all.contains { $0.message == "printed, not a protocol line" }, "print() goes to the log, not the protocol")
        #expect(allReaped(pids))
    }

    @Test func workerIgnoringSigtermIsKilledAndReaped() async throws {
        let host = Fixtures.host([Fixtures.misbehaving("stubborn", ["ignore-term"]) { $0.shutdownGraceSeconds = 0.2 }])
        #expect(await host.invoke(function: "stubborn", payload: ["do": "echo"], context: Fixtures.context()).value == ["do": "echo"])
        let pids = host.workerProcessIDs
        #expect(pids.count == 1)
        await host.shutdown()
        #expect(allReaped(pids))
    }

    @Test func pluginAcceptingSeveralInvocationsRunsThemInOneWorker() async throws {
        let host = Fixtures.host([Fixtures.misbehaving("parallel", ["concurrency=4"]) { $0.maximumWorkers = 1 }])
        let results = await withTaskGroup(of: JSONValue?.self) { group in
            for number in 0..<4 {
                group.addTask { await host.invoke(function: "parallel", payload: ["do": "slow", "seconds": 0.5], context: Fixtures.context(number)).value }
            }
            return await group.reduce(into: [JSONValue?]()) { $0.append($1) }
        }
        let values = results.compactMap { $0 }
        #expect(values.count == 4)
        #expect(Set(values.compactMap { $0["pid"] }).count == 1, "one worker")
        #expect(Set(values.compactMap { $0["thread"] }).count == 4, "running at the same time, each on its own thread")
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
    }

    /// Callers write small invoke lines to a worker with free slots themselves, the loop thread
    /// writes the rest: a line larger than the pipe holds is still being written while other
    /// callers find the worker with free slots, and no line may cut into another.
    @Test func linesWrittenByCallersAndByTheLoopNeverInterleave() async throws {
        let host = Fixtures.host([Fixtures.misbehaving("parallel", ["concurrency=8"]) { $0.maximumWorkers = 1 }])
        let large = String(repeating: "x", count: 200_000)
        func payload(_ number: Int) -> JSONValue {
            ["do": "echo", "n": .int(Int64(number)), "text": .string(number % 3 == 0 ? large : "small")]
        }
        // As many callers as the worker has slots, each invoking one call after another: a
        // caller coming back finds a free slot (no queue), so small lines go out directly.
        let outcomes = await withTaskGroup(of: [(Int, JSONValue?)].self) { group in
            for lane in 0..<8 {
                group.addTask {
                    var outcomes: [(Int, JSONValue?)] = []
                    for step in 0..<12 {
                        let number = lane * 12 + step
                        outcomes.append((number, await host.invoke(function: "parallel", payload: payload(number), context: Fixtures.context(number)).value))
                    }
                    return outcomes
                }
            }
            return await group.reduce(into: [(Int, JSONValue?)]()) { $0 += $1 }
        }
        #expect(outcomes.count == 96)
        // Numbers only: a failed comparison would print the 200 KB payloads.
        let wrong = outcomes.filter { $0.1 != payload($0.0) }.map(\.0).sorted()
        #expect(wrong.isEmpty, "invocations answered wrongly or failed: \(wrong)")
        let pids = host.workerProcessIDs
        #expect(pids.count == 1, "no worker was replaced for a garbled line")
        await host.shutdown()
        #expect(allReaped(pids))
    }

    @Test func busyPoolQueuesAndNeverExceedsItsWorkers() async throws {
        let host = Fixtures.host([Fixtures.misbehaving("pool") { $0.maximumWorkers = 2 }])
        let results = await withTaskGroup(of: JSONValue?.self) { group in
            for number in 0..<12 {
                group.addTask { await host.invoke(function: "pool", payload: ["do": "slow", "seconds": 0.05], context: Fixtures.context(number)).value }
            }
            return await group.reduce(into: [JSONValue?]()) { $0.append($1) }
        }
        #expect(results.compactMap { $0 }.count == 12)
        #expect(Set(results.compactMap { $0?["pid"] }).count <= 2)
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
    }

    /// With a deep queue, answered callers are resumed a few at a time (each resumption may
    /// wake a thread): every caller of a burst still gets its own answer, and none is left
    /// waiting.
    @Test(.timeLimit(.minutes(1))) func aDeepQueueAnswersEveryCaller() async throws {
        let host = Fixtures.host([Fixtures.handler("deep", "echo") { $0.maximumWorkers = 1 }])
        let answers = await withTaskGroup(of: (Int, JSONValue?).self) { group in
            for number in 0..<200 {
                group.addTask { (number, await host.invoke(function: "deep", payload: ["n": .int(Int64(number))], context: Fixtures.context(number)).value) }
            }
            return await group.reduce(into: [Int: JSONValue]()) { $0[$1.0] = $1.1 }
        }
        #expect(answers.count == 200)
        #expect((0..<200).filter { answers[$0] != ["n": .int(Int64($0))] } == [])
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
    }

    /// Invocations made while every worker is busy wait in the pool's queue: they run in
    /// turn, one cancelled there answers at once, and one still there when the host shuts
    /// down fails.
    @Test func invocationsQueuedBehindBusyWorkers() async throws {
        let host = Fixtures.host([Fixtures.misbehaving("busy") { $0.maximumWorkers = 1 }])
        #expect(await host.invoke(function: "busy", payload: ["do": "echo"], context: Fixtures.context(0)).value == ["do": "echo"])
        // Busy until the test releases it (a while later, under a loaded machine's delays).
        let release = TestFiles.path("release").path
        let (slow, slowFinished) = startSlowInvocation(host, "busy", seconds: 30, until: release)
        try await Task.sleep(nanoseconds: 500_000_000)
        let queued = (2..<5).map { number in
            Task { await host.invoke(function: "busy", payload: ["n": .int(Int64(number))], context: Fixtures.context(number)) }
        }
        let cancelled = Task { await host.invoke(function: "busy", payload: ["n": 5], context: Fixtures.context(5)) }
        try await Task.sleep(nanoseconds: 200_000_000)
        cancelled.cancel()
        let answer = await cancelled.value
        #expect(answer.failure?.error == "Plugin.Cancelled", "\(answer)")
        #expect(!slowFinished.isSet, "a queued invocation answers its cancellation without waiting for the busy worker")
        #expect(FileManager.default.createFile(atPath: release, contents: nil))
        #expect(await slow.value.value?["pid"] != nil)
        for (offset, call) in queued.enumerated() {
            #expect(await call.value.value == ["n": .int(Int64(offset + 2))])
        }
        // Still queued behind a busy worker when the host shuts down: fails, and nothing waits.
        let busyAgain = Task { await host.invoke(function: "busy", payload: ["do": "slow", "seconds": 1.5], context: Fixtures.context(6)) }
        try await Task.sleep(nanoseconds: 500_000_000)
        let stranded = Task { await host.invoke(function: "busy", payload: ["n": 7], context: Fixtures.context(7)) }
        try await Task.sleep(nanoseconds: 200_000_000)
        let pids = host.workerProcessIDs
        await host.shutdown()
        let failure = try #require(await stranded.value.failure)
        #expect(failure.error == "Plugin.Cancelled" && failure.errorMessage == "The plugin host is shut down")
        _ = await busyAgain.value
        #expect(allReaped(pids))
    }

    @Test func pipelinedInvocationsAllAnswerInOneWorker() async throws {
        let host = Fixtures.host([Fixtures.misbehaving("piped") { $0.maximumWorkers = 1; $0.pipelining = .depth(16) }])
        let results = await withTaskGroup(of: (Int, JSONValue?).self) { group in
            for number in 0..<200 {
                group.addTask { (number, await host.invoke(function: "piped", payload: ["n": .int(Int64(number))], context: Fixtures.context(number)).value) }
            }
            return await group.reduce(into: [Int: JSONValue?]()) { $0[$1.0] = $1.1 }
        }
        #expect((0..<200).allSatisfy { results[$0] == ["n": .int(Int64($0))] })
        #expect(host.workerProcessIDs.count == 1)
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
    }

    /// A caller that finds its worker busy but with room in its pipe queues the invocation
    /// without waking the loop thread, which takes it after the worker's next answer. Many
    /// small bursts, so that callers arrive just as the last answer in flight is read: none is
    /// left waiting. (The loop's tick, which also takes submissions, is set beyond the time
    /// limit: one left behind would wait for it.)
    @Test(.timeLimit(.minutes(1))) func burstsIntoABusyPipeAreAllAnswered() async throws {
        let host = Fixtures.host([Fixtures.handler("bursts", "echo") { $0.maximumWorkers = 1; $0.pipelining = .depth(16) }], tickMilliseconds: 3_600_000)
        var unanswered: [Int] = []
        for burst in 0..<400 {
            let size = 2 + burst % 4
            let answers = await withTaskGroup(of: (Int, JSONValue?).self) { group in
                for number in 0..<size {
                    group.addTask { (number, await host.invoke(function: "bursts", payload: ["n": .int(Int64(number))], context: Fixtures.context(number)).value) }
                }
                return await group.reduce(into: [Int: JSONValue]()) { $0[$1.0] = $1.1 }
            }
            if (0..<size).contains(where: { answers[$0] != ["n": .int(Int64($0))] }) { unanswered.append(burst) }
        }
        #expect(unanswered == [])
        let pids = host.workerProcessIDs
        #expect(pids.count == 1)
        await host.shutdown()
        #expect(allReaped(pids))
    }

    /// A handler that reads standard input reads nothing, as in Lambda, and takes none of the
    /// invoke lines waiting in its worker's pipe.
    @Test func aHandlerReadingStandardInputReadsNothing() async throws {
        let host = Fixtures.host([Fixtures.handler("reader", "read_stdin") { $0.maximumWorkers = 1; $0.pipelining = .depth(16) }])
        let results = await withTaskGroup(of: (Int, JSONValue?).self) { group in
            for number in 0..<20 {
                group.addTask { (number, await host.invoke(function: "reader", payload: ["n": .int(Int64(number))], context: Fixtures.context(number)).value) }
            }
            return await group.reduce(into: [Int: JSONValue?]()) { $0[$1.0] = $1.1 }
        }
        #expect((0..<20).allSatisfy { results[$0] == ["n": .int(Int64($0)), "read": "", "child": ""] }, "\(results)")
        let pids = host.workerProcessIDs
        #expect(pids.count == 1)
        await host.shutdown()
        #expect(allReaped(pids))
    }

    /// Invocations of `function` from `callers` concurrent callers, each answering whether
    /// another invocation already waited in its worker's pipe.
    func waiting(in host: PluginHost, _ function: String, callers: Int, seconds: Double = 0) async -> [Bool?] {
        await withTaskGroup(of: Bool?.self) { group in
            for number in 0..<callers {
                group.addTask {
                    let payload: JSONValue = ["do": "report-waiting", "seconds": .double(seconds)]
                    guard case .object(let answer)? = await host.invoke(function: function, payload: payload, context: Fixtures.context(number)).value,
                        case .bool(let waiting)? = answer["waiting"]
                    else { return nil }
                    return waiting
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
    }

    /// By default a function's short invocations queue in its busy workers' pipes (each still
    /// runs alone), and a slow function's wait for a free worker; with `pipeline: 0` nothing
    /// waits in a pipe.
    @Test func shortInvocationsArePipelinedAutomaticallyAndSlowOnesAreNot() async throws {
        let host = Fixtures.host([
            Fixtures.misbehaving("fast") { $0.maximumWorkers = 1 },
            Fixtures.misbehaving("slow"),
            Fixtures.misbehaving("unpiped") { $0.maximumWorkers = 1; $0.pipelining = .depth(0) },
        ])
        // The first 16 runs are measured before anything is queued in a pipe.
        let first = await waiting(in: host, "fast", callers: 16)
        #expect(first.count == 16 && first.allSatisfy { $0 == false })
        // How many wait depends on how short the runs look to the host, which a busy machine
        // (this suite runs in parallel) lengthens: up to ten rounds for some to wait.
        var waited = 0
        for _ in 0..<10 where waited == 0 {
            let fast = await waiting(in: host, "fast", callers: 200)
            #expect(fast.allSatisfy { $0 != nil })
            waited = fast.filter { $0 == true }.count
        }
        #expect(waited > 0, "concurrent invocations of a short function wait in the pipe")
        // A few callers, each invoking again as soon as it is answered: with no queue building
        // up, they write into the pipe from their own threads; each still gets its own answer.
        let answered = await withTaskGroup(of: Int.self) { group in
            for lane in 0..<6 {
                group.addTask {
                    var correct = 0
                    for round in 0..<100 {
                        let payload: JSONValue = ["lane": .int(Int64(lane)), "round": .int(Int64(round))]
                        if await host.invoke(function: "fast", payload: payload, context: Fixtures.context(lane * 1000 + round)).value == payload { correct += 1 }
                    }
                    return correct
                }
            }
            return await group.reduce(0, +)
        }
        #expect(answered == 600)

        let slow = await waiting(in: host, "slow", callers: 40, seconds: 0.02)
        #expect(slow.count == 40 && slow.allSatisfy { $0 == false })
        #expect(host.pipelineDepth(of: "slow") == 0)

        let unpiped = await waiting(in: host, "unpiped", callers: 200)
        #expect(unpiped.count == 200 && unpiped.allSatisfy { $0 == false })
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
    }

    /// Invocations cancelled while they wait in a worker's pipe are answered at once with
    /// `Plugin.Cancelled`; the worker still runs them (the host drops their answers) and
    /// goes on serving the others.
    @Test(.timeLimit(.minutes(1))) func invocationsCancelledInAPipeLeaveTheWorkerServing() async throws {
        let host = Fixtures.host([Fixtures.misbehaving("piped") { $0.maximumWorkers = 1; $0.pipelining = .depth(16) }])
        #expect(await host.invoke(function: "piped", payload: ["warm": true], context: Fixtures.context(0)).value == ["warm": true])
        let pid = host.workerProcessIDs
        let payload: JSONValue = ["do": "report-waiting", "seconds": 0.1]
        let calls = (0..<60).map { number in
            Task { (await host.invoke(function: "piped", payload: payload, context: Fixtures.context(number)), ContinuousClock.now) }
        }
        // A tenth of a second in, one or two have run, 16 wait in the pipe and the rest in the
        // queue. (Each run takes a tenth of a second, so that the test holds when a loaded
        // machine wakes it late.)
        try await Task.sleep(nanoseconds: 100_000_000)
        for call in calls.enumerated() where call.offset % 2 == 1 { call.element.cancel() }
        var cancelled: [ContinuousClock.Instant] = []
        var answered: [ContinuousClock.Instant] = []
        for (number, call) in calls.enumerated() {
            let (outcome, instant) = await call.value
            if let failure = outcome.failure {
                #expect(number % 2 == 1 && failure.error == "Plugin.Cancelled", "\(number): \(failure)")
                cancelled.append(instant)
            } else {
                #expect(outcome.value?["waiting"] != nil)
                answered.append(instant)
            }
        }
        // Two or so ran before the cancelling (one at a time); twenty would take two seconds.
        #expect(cancelled.count >= 20, "the cancelled ones not yet run, in the pipe or the queue, are all answered so")
        // Each cancelled caller had its answer before the worker got through the pipe.
        #expect(cancelled.max()! < answered.max()!)
        #expect(await host.invoke(function: "piped", payload: ["after": true], context: Fixtures.context(1)).value == ["after": true])
        #expect(host.workerProcessIDs == pid)
        await host.shutdown()
        #expect(allReaped(pid))
    }

    /// A run that ends in the function's timeout counts as a long one: nothing more is queued
    /// in the pipes of a function whose invocations may hang.
    @Test func aTimedOutRunStopsAutomaticPipelining() async throws {
        let host = Fixtures.host([Fixtures.misbehaving("mixed") { $0.maximumWorkers = 1; $0.timeoutSeconds = 0.5 }])
        // Pipelining starts once the measured runs are short; on a machine the rest of the
        // suite keeps busy the loop thread reads answers late, so it may take many rounds.
        for _ in 0..<40 where host.pipelineDepth(of: "mixed") == 0 {
            _ = await waiting(in: host, "mixed", callers: 50)
        }
        #expect(host.pipelineDepth(of: "mixed") > 0)
        let failure = try #require(await host.invoke(function: "mixed", payload: ["do": "hang"], context: Fixtures.context(1)).failure)
        #expect(failure.error == "Sandbox.Timedout")
        #expect(host.pipelineDepth(of: "mixed") == 0)
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
    }

    /// Submissions for a function whose workers are all busy do not wake the loop thread:
    /// the next answer takes them. With the tick (the backstop) ten minutes away, a
    /// submission left without its wake-up would hang this test; none may, for two
    /// functions at once, and the first one after everything is idle must wake the loop.
    @Test(.timeLimit(.minutes(1))) func invocationsForBusyWorkersAreTakenWithoutLosingAny() async throws {
        let host = Fixtures.host(
            [Fixtures.misbehaving("first") { $0.maximumWorkers = 1 }, Fixtures.misbehaving("second") { $0.maximumWorkers = 2 }],
            tickMilliseconds: 600_000)
        let answered = await withTaskGroup(of: Int.self) { group in
            for lane in 0..<64 {
                group.addTask {
                    var correct = 0
                    for round in 0..<25 {
                        let number = lane * 100 + round
                        let function = (lane + round) % 3 == 0 ? "first" : "second"
                        if await host.invoke(function: function, payload: ["n": .int(Int64(number))], context: Fixtures.context(number)).value
                            == ["n": .int(Int64(number))]
                        {
                            correct += 1
                        }
                    }
                    return correct
                }
            }
            return await group.reduce(0, +)
        }
        #expect(answered == 64 * 25)
        try await Task.sleep(nanoseconds: 100_000_000)
        for function in ["first", "second"] {
            #expect(await host.invoke(function: function, payload: ["alone": true], context: Fixtures.context()).value == ["alone": true])
        }
        let pids = host.workerProcessIDs
        #expect(pids.count == 3)
        await host.shutdown()
        #expect(allReaped(pids))
    }

    @Test func cancellingTheCallerAnswersAtOnce() async throws {
        let host = Fixtures.host([Fixtures.misbehaving("plugin") { $0.timeoutSeconds = 1 }])
        let call = Task { await host.invoke(function: "plugin", payload: ["do": "hang"], context: Fixtures.context()) }
        try await Task.sleep(nanoseconds: 300_000_000)
        call.cancel()
        let failure = try #require(await call.value.failure)
        #expect(failure.error == "Plugin.Cancelled")
        // The hung worker is ended by the function's timeout; the pool serves again.
        #expect(await host.invoke(function: "plugin", payload: ["do": "echo"], context: Fixtures.context()).value == ["do": "echo"])
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
    }

    /// A caller cancelled before it invokes a busy function is answered at once, not at the
    /// loop's next look (here the tick is 10 s, and the busy worker answers when the test
    /// releases it).
    @Test func callerCancelledBeforeInvokingIsAnsweredAtOnce() async throws {
        let host = Fixtures.host([Fixtures.misbehaving("busy") { $0.maximumWorkers = 1 }], tickMilliseconds: 10_000)
        #expect(await host.invoke(function: "busy", payload: ["do": "echo"], context: Fixtures.context(0)).value == ["do": "echo"])
        let release = TestFiles.path("release").path
        let (slow, slowFinished) = startSlowInvocation(host, "busy", seconds: 30, until: release)
        try await Task.sleep(nanoseconds: 300_000_000)
        // Queued behind the slow one: the function is busy when the loop looks.
        let queued = Task { await host.invoke(function: "busy", payload: ["n": 2], context: Fixtures.context(2)) }
        try await Task.sleep(nanoseconds: 300_000_000)
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await host.invoke(function: "busy", payload: ["n": 3], context: Fixtures.context(3))
        }
        let answer = await cancelled.value
        #expect(answer.failure?.error == "Plugin.Cancelled", "\(answer)")
        #expect(!slowFinished.isSet, "answered without waiting for the busy worker")
        #expect(FileManager.default.createFile(atPath: release, contents: nil))
        #expect(await slow.value.value?["pid"] != nil)
        #expect(await queued.value.value == ["n": 2])
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
    }

    /// A script the system cannot start is named with the reason, not Python's misleading
    /// "No such file or directory" for a file that is there.
    @Test func aShellScriptThatCannotStartSaysWhy() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("scripts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let scripts = [
            ("crlf.sh", "#!/bin/sh\r\necho '{}'\r\n", "its first line ends in a carriage return (Windows line endings), so its interpreter is '/bin/sh\\r'"),
            ("nowhere.sh", "#!/no/such/interpreter\necho '{}'\n", "its interpreter /no/such/interpreter does not exist"),
        ]
        for (name, text, _) in scripts { try TestFiles.writeScript(text, to: scratch.appendingPathComponent(name)) }
        let host = Fixtures.host(scripts.map { name, _, _ in
            FunctionConfiguration(name: String(name.dropLast(3)), runtime: .shell, handler: name, codeDirectory: scratch.path, shutdownGraceSeconds: 0.3)
        })
        for (name, _, reason) in scripts {
            let failure = try #require(await host.invoke(function: String(name.dropLast(3)), payload: [:], context: Fixtures.context()).failure)
            #expect(failure.error == "Runtime.InvalidEntrypoint")
            #expect(failure.errorMessage == "Cannot run \(scratch.path)/\(name): \(reason)")
        }
        await host.shutdown()
    }

    /// A script that some process still holds open for writing (as a process forked while the
    /// script was being written does, for a moment) fails to start with "Text file busy": it
    /// is run once it is let go, not failed at once.
    @Test func aScriptStillOpenForWritingRunsOnceItIsLetGo() async throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("busy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let path = scratch.appendingPathComponent("busy.sh").path
        try TestFiles.writeScript("#!/bin/sh\necho '{\"ran\": true}'\n", to: URL(fileURLWithPath: path))
        let host = Fixtures.host([
            FunctionConfiguration(name: "busy", runtime: .shell, handler: "busy.sh", codeDirectory: scratch.path, shutdownGraceSeconds: 0.3)
        ])
        // The worker is started first, so that the script is started while it is held.
        host.warm("busy")
        let patience = Date().addingTimeInterval(20)
        while host.workerProcessIDs.isEmpty, Date() < patience { try await Task.sleep(for: .milliseconds(20)) }
        // Close-on-exec, so that what other tests start meanwhile does not hold it as well.
        let writer = open(path, O_WRONLY | O_CLOEXEC)
        try #require(writer >= 0)
        // Let go on a thread of its own: the tasks' threads may all be busy with other tests
        // for longer than the runner tries again.
        let letGo = Thread {
            usleep(300_000)
            close(writer)
        }
        letGo.start()
        let value = try await host.invoke(function: "busy", payload: [:], context: Fixtures.context()).get()
        #expect(value == ["ran": true])
        await host.shutdown()
    }

    @Test func whatAShellFunctionLeftRunningEndsWithItsWorker() async throws {
        let host = Fixtures.host([
            FunctionConfiguration(
                name: "background", runtime: .shell, handler: "shell_background.sh", codeDirectory: Fixtures.directory, timeoutSeconds: 1,
                shutdownGraceSeconds: 0.3)
        ])
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("background-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        func leftBehind(_ name: String) throws -> Int32 {
            try #require(Int32(String(contentsOfFile: scratch.appendingPathComponent(name).path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        // A script that runs past its timeout: the worker is killed, and with it its group.
        let timedOut = try #require(await host.invoke(function: "background", payload: .string("\(scratch.path)/first hang"), context: Fixtures.context()).failure)
        #expect(timedOut.error == "Sandbox.Timedout")
        let first = try leftBehind("first")
        #expect(await ended(first), "the background process of a timed-out script is still running")
        // A script that answered: what it left runs while its worker lives, and ends with it.
        #expect(await host.invoke(function: "background", payload: .string("\(scratch.path)/second answer"), context: Fixtures.context()).value == "started")
        let second = try leftBehind("second")
        #expect(!(await ended(second, within: 0)))
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
        #expect(await ended(second), "the background process outlived the host")
    }

    @Test func unknownFunctionIsResourceNotFound() async throws {
        let host = Fixtures.host([])
        let failure = try #require(await host.invoke(function: "nope", payload: [:], context: Fixtures.context()).failure)
        #expect(failure.error == "Lambda.ResourceNotFoundException")
        await host.shutdown()
    }

    @Test func shellScriptFunction() async throws {
        let host = Fixtures.host([
            FunctionConfiguration(name: "upper", runtime: .shell, handler: "shell_upper.sh", codeDirectory: Fixtures.directory, shutdownGraceSeconds: 0.3)
        ])
        #expect(await host.invoke(function: "upper", payload: "hello", context: Fixtures.context()).value == "HELLO")
        #expect(await host.invoke(function: "upper", payload: ["k": "v"], context: Fixtures.context()).value == ["K": "V"])
        let failure = try #require(await host.invoke(function: "upper", payload: "fail", context: Fixtures.context()).failure)
        #expect(failure.error == "UpperError" && failure.errorMessage == "asked to fail")
        await host.shutdown()
    }

    @Test func idleWorkersAreReapedAndMinimumWarmIsKept() async throws {
        let host = Fixtures.host([
            Fixtures.misbehaving("idle") { $0.idleSeconds = 0.2 },
            Fixtures.misbehaving("warm") { $0.minimumWarm = 1; $0.idleSeconds = 0.2 },
        ])
        #expect(await host.invoke(function: "idle", payload: ["do": "echo"], context: Fixtures.context()).value != nil)
        let idle = host.workerProcessIDs
        #expect(await host.invoke(function: "warm", payload: ["do": "echo"], context: Fixtures.context()).value != nil)
        // Wait (without asserting on time) until the idle worker has gone, then past the idle
        // time once more: the warm worker stays.
        for _ in 0..<100 where !allReaped(idle) { try await Task.sleep(nanoseconds: 50_000_000) }
        try await Task.sleep(nanoseconds: 500_000_000)
        #expect(allReaped(idle), "the idle worker was stopped and reaped")
        let warm = host.workerProcessIDs
        #expect(warm.count == 1 && Set(warm).isDisjoint(with: idle), "the warm one is kept")
        await host.shutdown()
        #expect(allReaped(warm))
    }

    @Test func eventTooDeepForPythonIsUnmarshalError() async throws {
        // The engine takes documents 1,000 levels deep; Python 3.11's decoder stops short of
        // that (a Python that decodes it must echo it whole).
        var deep: JSONValue = []
        for _ in 0..<(JSONParser.maximumDepth - 2) { deep = [deep] }
        let host = Fixtures.host([Fixtures.handler("echo", "echo")])
        switch await host.invoke(function: "echo", payload: deep, context: Fixtures.context()) {
        case .failure(let failure):
            #expect(failure.error == "Runtime.UnmarshalError")
            #expect(failure.errorMessage.hasPrefix("Unable to unmarshal input: maximum recursion depth exceeded"), "\(failure.errorMessage)")
        case .success(let value):
            #expect(value == deep)
        }
        let pids = host.workerProcessIDs
        #expect(pids.count == 1)
        #expect(await host.invoke(function: "echo", payload: ["n": 1], context: Fixtures.context()).value == ["n": 1])
        #expect(host.workerProcessIDs == pids, "the worker serves on")
        await host.shutdown()
        #expect(allReaped(pids))
    }

    /// Past Lambda's 6,291,556-byte response limit the answer is Lambda's own error object
    /// (no stack trace, no request id), and the worker stays up.
    @Test func aResultPastLambdasResponseLimitIsFunctionResponseSizeTooLarge() async throws {
        let host = Fixtures.host([Fixtures.handler("sized", "sized_string")])
        for payload: JSONValue in [["length": 6_291_555], ["length": 3_145_778, "wide": true]] {
            // JSON text of 6,291,557 and 6,291,558 bytes.
            let failure = try #require(await host.invoke(function: "sized", payload: payload, context: Fixtures.context()).failure)
            #expect(failure.error == "Function.ResponseSizeTooLarge")
            #expect(failure.errorMessage == "Response payload size exceeded maximum allowed payload size (6291556 bytes).")
            #expect(failure.stackTrace == nil && failure.requestId.isEmpty)
        }
        // Just under the protocol's line limit, envelope included: an ordinary result.
        let fits = await host.invoke(function: "sized", payload: ["length": 6_291_300], context: Fixtures.context()).value
        #expect(fits?.stringValue?.utf8.count == 6_291_300)
        let pids = host.workerProcessIDs
        #expect(pids.count == 1)
        await host.shutdown()
        #expect(allReaped(pids))
    }

    @Test func unserialisableResultIsMarshalError() async throws {
        let host = Fixtures.host([Fixtures.handler("set", "not_serialisable"), Fixtures.handler("bytes", "return_bytes_str")])
        let failure = try #require(await host.invoke(function: "set", payload: [:], context: Fixtures.context()).failure)
        #expect(failure.error == "Runtime.MarshalError")
        #expect(failure.errorMessage == "Unable to marshal response: Object of type set is not JSON serializable")
        #expect(await host.invoke(function: "bytes", payload: [:], context: Fixtures.context()).value == "HelloWorld!")
        // Each failure leaves the worker able to marshal the next result: fresh containers
        // are not taken for ones the failed result left half-encoded.
        let causes: [(kind: JSONValue, message: String)] = [
            ("nested set", "Unable to marshal response: Object of type set is not JSON serializable"),
            ("circular", "Unable to marshal response: Circular reference detected"),
            ("nan", "Unable to marshal response: Out of range float values are not JSON compliant"),
            ("deep", "Unable to marshal response: maximum recursion depth exceeded"),
        ]
        for (kind, message) in causes {
            let failure = try #require(await host.invoke(function: "set", payload: ["kind": kind], context: Fixtures.context()).failure)
            #expect(failure.error == "Runtime.MarshalError")
            #expect(failure.errorMessage.hasPrefix(message), "\(failure.errorMessage)")
            for number in 0..<20 {
                let fine = await host.invoke(function: "set", payload: ["kind": "fine", "n": .int(Int64(number))], context: Fixtures.context())
                #expect(fine.value == ["items": [["n": .int(Int64(number))]]])
            }
        }
        let kept = await host.invoke(function: "set", payload: ["kind": "kept"], context: Fixtures.context())
        #expect(kept.value == 0, "a result that could not be marshalled is not kept alive")
        let pids = host.workerProcessIDs
        #expect(pids.count == 2, "a result that cannot be marshalled does not cost the worker")
        await host.shutdown()
        #expect(allReaped(pids))
    }
}
