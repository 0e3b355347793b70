import Foundation
import JSONCore
import Testing

@testable import JSONata

/// Runaway expressions end in JSONata's U1001, never in a crash, on any thread.
@Suite struct RunawayTests {
    /// Evaluates on a new thread with the given stack size and returns the error code or "ok".
    static func outcome(_ source: String, stackSize: Int, options: JSONataExpression.Options = .init()) -> String {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome = ""
        let thread = Thread {
            do {
                _ = try JSONataExpression(source).evaluate(input: nil, options: options)
                outcome = "ok"
            } catch let error as JSONataError {
                outcome = error.code
            } catch {
                outcome = "unexpected \(error)"
            }
            done.signal()
        }
        thread.stackSize = stackSize
        thread.start()
        done.wait()
        return outcome
    }

    @Test(arguments: [512 << 10, 1 << 20, 8 << 20])
    func deepRecursionStopsBeforeTheStackEnds(stackSize: Int) {
        let source = "( $f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000000) )"
        #expect(Self.outcome(source, stackSize: stackSize) == "U1001")
    }

    @Test func tailRecursionRunsInConstantStack() {
        let source = "( $count := function($n, $acc){ $n = 0 ? $acc : $count($n - 1, $acc + 1) }; $count(20000, 0) )"
        #expect(Self.outcome(source, stackSize: 512 << 10) == "ok")
    }

    @Test func infiniteLoopStopsAtTheTimeLimit() {
        let source = "( $loop := function(){ $loop() }; $loop() )"
        let started = ContinuousClock.now
        #expect(Self.outcome(source, stackSize: 1 << 20, options: .init(timeLimit: .milliseconds(200))) == "U1001")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func runawayStringsStopBeforeMemoryRunsOut() {
        #expect(Self.outcome("$pad('', 1e12)", stackSize: 1 << 20) == "U1001")
        let doubling = "( $grow := function($s, $n){ $n = 0 ? $s : $grow($s & $s, $n - 1) }; $grow('x', 40) )"
        #expect(Self.outcome(doubling, stackSize: 1 << 20) == "U1001")
    }

    @Test func deeplyNestedSourceIsASyntaxErrorNotACrash() {
        let source = String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
        #expect(Self.outcome(source, stackSize: 1 << 20) == "U1001")
    }
}
