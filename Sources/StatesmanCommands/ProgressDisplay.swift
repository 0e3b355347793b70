import Foundation
import Interpreter
import Synchronization

/// `statesman run`'s view of its Map Runs. On a terminal: a live line per running Map Run
/// (succeeded, failed, running, pending, items per second, ETA), redrawn a few times a second
/// on standard error. Elsewhere: a progress line every few seconds. Either way, one closing
/// line per Map Run when it ends.
final class ProgressDisplay: MapRunObserver {
    private struct Entry {
        var snapshot: MapRunSnapshot
        var reported = false
    }

    private let runs = Mutex<[String: Entry]>([:])
    private let interactive: Bool
    private let period: Duration
    /// Lines drawn last time (only the drawing task touches it).
    private let drawn = Mutex(0)

    init(interactive: Bool = isatty(2) != 0) {
        self.interactive = interactive
        period = interactive ? .milliseconds(250) : .seconds(5)
    }

    /// The latest snapshot of every Map Run seen, oldest first (to keep in the execution store).
    var snapshots: [MapRunSnapshot] {
        runs.withLock { $0.values.map(\.snapshot).sorted { $0.startDate < $1.startDate } }
    }

    func mapRunChanged(_ run: MapRunSnapshot) {
        runs.withLock { $0[run.mapRunArn, default: Entry(snapshot: run)].snapshot = run }
    }

    /// Draws until the task is cancelled, then the closing lines.
    func show() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: period)
            draw(final: false)
        }
        draw(final: true)
    }

    private func draw(final: Bool) {
        let (active, ended) = runs.withLock { runs -> ([MapRunSnapshot], [MapRunSnapshot]) in
            var active: [MapRunSnapshot] = []
            var ended: [MapRunSnapshot] = []
            for (arn, entry) in runs {
                if entry.snapshot.status == .running {
                    active.append(entry.snapshot)
                } else if !entry.reported {
                    ended.append(entry.snapshot)
                    runs[arn]?.reported = true
                }
            }
            return (active.sorted { $0.startDate < $1.startDate }, ended.sorted { $0.startDate < $1.startDate })
        }
        var text = ""
        if interactive {
            // Back over what was drawn last time, clearing it.
            for _ in 0..<drawn.withLock({ $0 }) { text += "\u{1B}[1A\u{1B}[2K" }
            drawn.withLock { $0 = 0 }
        }
        for run in ended { text += Self.line(run) + "\n" }
        if interactive, !final {
            let shown = active.prefix(5)
            for run in shown { text += Self.line(run) + "\n" }
            if active.count > shown.count { text += "… and \(active.count - shown.count) more Map Runs\n" }
            drawn.withLock { $0 = shown.count + (active.count > shown.count ? 1 : 0) }
        } else if !interactive, !active.isEmpty {
            for run in active { text += Self.line(run) + "\n" }
        }
        if !text.isEmpty { FileHandle.standardError.write(Data(text.utf8)) }
    }

    /// `map run Process: 12,345 succeeded, 2 failed, 40 running, 1,000 pending of 13,387 · 2,310/s · ETA 0:01`
    static func line(_ run: MapRunSnapshot) -> String {
        let counts = run.itemCounts
        let done = counts.succeeded + counts.failed + counts.timedOut + counts.aborted
        let elapsed = max((run.stopDate ?? Date()).timeIntervalSince(run.startDate), 0.001)
        let rate = Double(done) / elapsed
        var parts = ["\(number(counts.succeeded)) succeeded", "\(number(counts.failed)) failed"]
        if counts.timedOut > 0 { parts.append("\(number(counts.timedOut)) timed out") }
        if counts.aborted > 0 { parts.append("\(number(counts.aborted)) aborted") }
        if run.status == .running { parts.append("\(number(counts.running)) running") }
        if counts.pending > 0 { parts.append("\(number(counts.pending)) pending") }
        var text = "map run \(run.label): " + parts.joined(separator: ", ")
        text += run.totalKnown ? " of \(number(counts.total))" : " (\(number(counts.total)) read so far)"
        text += " · \(number(Int(rate.rounded())))/s"
        if run.status == .running, run.totalKnown, rate > 0 {
            text += " · ETA " + duration(Double(counts.total - done) / rate)
        } else if run.status != .running {
            text += " · \(run.status.rawValue) in " + duration(elapsed)
        }
        return text
    }

    static func number(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { grouped.append(",") }
            grouped.append(character)
        }
        return (value < 0 ? "-" : "") + grouped
    }

    static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        if total >= 3600 { return String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60) }
        return String(format: "%d:%02d", total / 60, total % 60)
    }
}
