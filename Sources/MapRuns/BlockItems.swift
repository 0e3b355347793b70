import ASLErrors
import Foundation
import Interpreter
import JSONCore
import ObjectStore

/// A line-structured format (JSONL, CSV) that can be cut into blocks of whole records and
/// parsed a block at a time on several threads.
protocol BlockFormat: Sendable {
    /// Just past the last record terminator in `bytes` (which start at a record boundary),
    /// or nil when there is none.
    func lastBoundary(in bytes: UnsafeBufferPointer<UInt8>) -> Int?
    /// A parser for one thread: the items of a block of whole records, in order.
    func makeBlockParser() -> any BlockParser
    /// Reads the rest of the object one record at a time, from `chunks`, after `recordsRead`
    /// records (for a record too long to find a block boundary in).
    func sequential(_ chunks: ByteChunks, recordsRead: Int, name: String) -> any ItemSource
}

/// Parses blocks for one thread: each thread makes its own (`BlockFormat.makeBlockParser`) and
/// never shares it, which is why conformers may be `@unchecked Sendable`.
protocol BlockParser: AnyObject, Sendable {
    func parse(_ block: UnsafeBufferPointer<UInt8>, name: String) -> ParsedBlock
}

/// The items of one block.
///
/// `@unchecked Sendable`: a block goes from the thread that parsed it to the one taking its
/// items under the pipeline's lock, and only one thread touches it at a time (its queue and
/// failure closure are not shared).
struct ParsedBlock: @unchecked Sendable {
    var items = ItemQueue()
    /// Records in the block, blank ones included (to number the records of later blocks).
    var records = 0
    /// The first bad record: its number within the block (from 1), and the failure for its
    /// number in the object. The items before it are delivered first.
    var problem: (record: Int, failure: (Int) -> ExecutionFailure)?
    /// The rest of the object, to be read one record at a time (the last block).
    var rest: ByteChunks?
    /// A failure that is not a record's (reading the object).
    var readFailure: ExecutionFailure?
}

extension ParsedBlock {
    /// A block expected to hold about `expectedItems` items (room is made for them at once:
    /// growing the queue as it fills costs large allocations and copies on every block).
    init(expectedItems: Int) { items = ItemQueue(capacity: expectedItems) }
}

/// Items in order, each moved out when taken (neither copied nor reversed).
final class ItemQueue {
    private var base: UnsafeMutablePointer<JSONValue>?
    private var capacity = 0
    private var head = 0
    /// Items appended so far (taken ones included).
    private(set) var count = 0

    init(capacity: Int = 0) {
        guard capacity > 0 else { return }
        base = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    deinit {
        base?.advanced(by: head).deinitialize(count: count - head)
        base?.deallocate()
    }

    func append(_ item: consuming JSONValue) {
        if count == capacity {
            let bigger = UnsafeMutablePointer<JSONValue>.allocate(capacity: max(256, capacity * 2))
            if let base {
                bigger.moveInitialize(from: base, count: count)
                base.deallocate()
            }
            base = bigger
            capacity = max(256, capacity * 2)
        }
        (base.unsafelyUnwrapped + count).initialize(to: item)
        count += 1
    }

    /// The next item, moved out; nil when all were taken.
    func take() -> JSONValue? {
        guard head < count else { return nil }
        defer { head += 1 }
        return (base.unsafelyUnwrapped + head).move()
    }
}

/// Reads a JSONL or CSV object's items a block at a time on background threads while the
/// Distributed Map consumes them: the threads take turns (the turn passed under one lock, the
/// reading done outside it) to cut the next block of about `blockSize` bytes at a record
/// boundary, and parse their blocks in parallel.
/// Items are handed out in order; at most `blocksAhead` blocks are read ahead, so memory stays
/// bounded whatever the object's size. The threads stop when the reader is dropped.
///
/// A record so long that no boundary appears in `longestRecord` bytes (or a CSV quote that
/// never closes) hands the rest of the object to the one-record-at-a-time reader, which
/// reports such records exactly as it would have.
final class BlockItems: ItemSource {
    /// How an object is read a block at a time.
    struct Tuning {
        /// Parsing threads; none reads one record at a time on the caller's thread.
        var threads: Int
        /// About how many bytes of records a block holds.
        var blockSize = 256 * 1024
        /// Past this many bytes without a record boundary, the rest is read one record at a time.
        var longestRecord = 8 * 1024 * 1024

        /// One parsing thread per core, up to four (`STATESMAN_READER_THREADS` overrides), none
        /// on one core.
        static var standard: Tuning {
            let cores = ProcessInfo.processInfo.activeProcessorCount
            let threads = ProcessInfo.processInfo.environment["STATESMAN_READER_THREADS"].flatMap(Int.init) ?? (cores > 1 ? min(4, cores) : 0)
            return Tuning(threads: max(0, threads))
        }

        /// Whether an object whose first bytes are `chunks` is read a block at a time: when
        /// there are threads and it is larger than two blocks. Reads that far ahead to tell.
        func usesBlocks(_ chunks: inout ByteChunks, name: String) throws(ExecutionFailure) -> Bool {
            guard threads > 0 else { return false }
            try chunks.readAhead(2 * blockSize, name: name)
            return !chunks.ended
        }
    }

    private let pipeline: Pipeline
    private let name: String
    private let format: any BlockFormat
    var source: String { name }
    private var current = ParsedBlock()
    /// Records in the blocks before `current`.
    private var recordsBefore = 0
    private var sequential: (any ItemSource)?
    private var finished = false

    /// Reads the rest of `chunks` (from `chunks.start`, a record boundary), the records before
    /// it numbered `recordsRead`.
    init(_ chunks: ByteChunks, format: some BlockFormat, recordsRead: Int, name: String, tuning: Tuning) {
        self.name = name
        self.format = format
        recordsBefore = recordsRead
        pipeline = Pipeline(
            chunks, format: format, name: name, blocksAhead: tuning.threads * 2, blockSize: tuning.blockSize, longestRecord: tuning.longestRecord)
        for index in 0..<tuning.threads {
            let pipeline = pipeline
            let parser = format.makeBlockParser()
            Thread {
                Self.nameThisThread("statesman-rd-\(index)")
                pipeline.work(parser)
            }.start()
        }
    }

    deinit { pipeline.stop() }

    /// Names the calling thread for `top -H` and /proc (15 characters at most). Set from the
    /// thread itself: Foundation's `Thread.name` is lost when the new thread runs before
    /// `start()` has recorded it.
    private static func nameThisThread(_ name: String) {
        #if os(Linux)
        let descriptor = open("/proc/thread-self/comm", O_WRONLY)
        guard descriptor >= 0 else { return }
        _ = Array(name.utf8.prefix(15)).withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        #endif
    }

    func next() throws(ExecutionFailure) -> JSONValue? {
        if let sequential { return try sequential.next() }
        while !finished {
            if let item = current.items.take() { return item }
            if let problem = current.problem {
                finished = true
                throw problem.failure(recordsBefore + problem.record)
            }
            if let failure = current.readFailure {
                finished = true
                throw failure
            }
            recordsBefore += current.records
            if let rest = current.rest {
                let reader = format.sequential(rest, recordsRead: recordsBefore, name: name)
                sequential = reader
                return try reader.next()
            }
            guard let block = pipeline.take() else {
                finished = true
                break
            }
            current = block
        }
        return nil
    }

    /// The state the threads share, under one lock: the object being cut into blocks, and the
    /// parsed blocks waiting to be taken in order.
    ///
    /// `@unchecked Sendable`: every mutable field but `chunks` is read and written with
    /// `condition` locked; `chunks` belongs to the thread whose turn it is to cut (`reading`,
    /// taken and handed back under the lock), which reads the object and cuts a block outside
    /// the lock, so a slow read (a remote store) holds up neither the parsing threads nor the
    /// Map Run taking items. Parsing happens outside the lock too, on bytes copied out.
    private final class Pipeline: @unchecked Sendable {
        private let condition = NSCondition()
        private let format: any BlockFormat
        private let name: String
        private let blocksAhead: Int
        private let blockSize: Int
        private let longestRecord: Int
        // Cutting: `chunks` by the thread whose turn it is, the rest under the lock.
        private var chunks: ByteChunks
        private var reading = false
        private var cutting = true
        private var blocksCut = 0
        // Handing out.
        private var parsed: [Int: ParsedBlock] = [:]
        private var taken = 0
        private var stopped = false

        init(_ chunks: ByteChunks, format: any BlockFormat, name: String, blocksAhead: Int, blockSize: Int, longestRecord: Int) {
            self.chunks = chunks
            self.format = format
            self.name = name
            self.blocksAhead = blocksAhead
            self.blockSize = blockSize
            self.longestRecord = longestRecord
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }

        /// A parsing thread's loop: take the turn to cut, cut the next block, parse it; only
        /// taking the turn and handing the block in happen under the lock.
        func work(_ parser: any BlockParser) {
            while true {
                condition.lock()
                while !stopped, cutting, reading || blocksCut - taken >= blocksAhead { condition.wait() }
                guard !stopped, cutting else {
                    condition.unlock()
                    return
                }
                let sequence = blocksCut
                reading = true
                condition.unlock()
                let (job, more) = cut()
                condition.lock()
                reading = false
                if job != nil { blocksCut += 1 }
                if !more { cutting = false }
                condition.broadcast()
                condition.unlock()
                guard let job else { continue }
                let block: ParsedBlock
                switch job {
                case .records(let bytes):
                    block = bytes.withUnsafeBufferPointer { parser.parse($0, name: name) }
                case .finish(let last):
                    block = last
                }
                condition.lock()
                parsed[sequence] = block
                condition.broadcast()
                condition.unlock()
            }
        }

        private enum Job {
            case records([UInt8])
            case finish(ParsedBlock)
        }

        /// The next block of whole records (by the thread whose turn it is), and whether more
        /// may follow; nil when the object is done.
        private func cut() -> (Job?, more: Bool) {
            while true {
                let available = chunks.bytes.count - chunks.start
                if available > 0 {
                    let boundary = chunks.bytes.withUnsafeBufferPointer { bytes -> Int? in
                        let from = chunks.start
                        let window = UnsafeBufferPointer(rebasing: bytes[from..<(from + min(available, blockSize))])
                        if let end = format.lastBoundary(in: window) { return from + end }
                        guard available > blockSize else { return nil }
                        return format.lastBoundary(in: UnsafeBufferPointer(rebasing: bytes[from...])).map { from + $0 }
                    }
                    if let boundary {
                        let block = Array(chunks.bytes[chunks.start..<boundary])
                        chunks.start = boundary
                        return (.records(block), true)
                    }
                    if chunks.ended {
                        let block = Array(chunks.bytes[chunks.start...])
                        chunks.start = chunks.bytes.count
                        return (.records(block), true)
                    }
                    if available > longestRecord {
                        return (.finish(ParsedBlock(rest: chunks)), false)
                    }
                }
                do {
                    guard try chunks.more(name: name) else {
                        if chunks.start < chunks.bytes.count { continue }
                        return (nil, false)
                    }
                } catch {
                    return (.finish(ParsedBlock(readFailure: error)), false)
                }
            }
        }

        /// The next block in order, waiting for it; nil after the last.
        func take() -> ParsedBlock? {
            condition.lock()
            defer { condition.unlock() }
            while true {
                if let block = parsed.removeValue(forKey: taken) {
                    taken += 1
                    condition.broadcast()
                    return block
                }
                if !cutting, taken == blocksCut { return nil }
                condition.wait()
            }
        }
    }
}
