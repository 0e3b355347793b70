#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable stack whose top elements can be moved out into an exactly sized array in one
/// step, without copying (and so without retaining and releasing each element).
///
/// The parser pushes a container's elements here while reading it and moves them out when it
/// closes, so every array and object is allocated once, at its final size.
final class ScratchStack<Element> {
    /// Allocated on the first push: a one-off parse of a document without arrays never
    /// needs its element stack.
    private var base: UnsafeMutablePointer<Element>?
    private(set) var capacity = 0
    private let initialCapacity: Int
    private(set) var count = 0

    init(capacity: Int = 256) { initialCapacity = capacity }

    deinit {
        base?.deinitialize(count: count)
        base?.deallocate()
    }

    @inline(__always)
    func push(_ element: consuming Element) {
        if count == capacity { grow() }
        (base.unsafelyUnwrapped + count).initialize(to: element)
        count += 1
    }

    private func grow() {
        let newCapacity = capacity == 0 ? initialCapacity : capacity * 2
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        if let base {
            bigger.moveInitialize(from: base, count: count)
            base.deallocate()
        }
        base = bigger
        capacity = newCapacity
    }

    /// The element at `index` (below `count`), in place.
    subscript(index: Int) -> Element {
        @inline(__always) unsafeAddress { UnsafePointer(base.unsafelyUnwrapped + index) }
        @inline(__always) unsafeMutableAddress { base.unsafelyUnwrapped + index }
    }

    /// Moves the elements from `start` to the top out into a new array.
    ///
    /// The array is made by `reserveCapacity` and filled by `append(contentsOf:)` from a
    /// sequence that moves its elements: both are specialized for `Element`, whereas
    /// `Array(unsafeUninitializedCapacity:)` allocates through an unspecialized runtime
    /// function that looks up the array's generic metadata on every call (about 5% of parsing
    /// a JSONL object).
    func popArray(from start: Int) -> [Element] {
        let n = count - start
        var array: [Element] = []
        guard n > 0 else { return array }
        array.reserveCapacity(n)
        array.append(contentsOf: MovedElements(start: base.unsafelyUnwrapped + start, count: n))
        count = start
        return array
    }

    /// Drops the elements from `start` to the top.
    func pop(to start: Int) {
        guard count > start else { return }
        (base.unsafelyUnwrapped + start).deinitialize(count: count - start)
        count = start
    }
}

/// Elements that an array takes over by moving them out of their memory, which is left
/// uninitialized (`ScratchStack.popArray`).
private struct MovedElements<Element>: Sequence {
    let start: UnsafeMutablePointer<Element>
    let count: Int

    var underestimatedCount: Int { count }

    func makeIterator() -> EmptyCollection<Element>.Iterator {
        preconditionFailure("MovedElements are only moved into an array's reserved room")
    }

    func _copyContents(initializing buffer: UnsafeMutableBufferPointer<Element>) -> (EmptyCollection<Element>.Iterator, Int) {
        precondition(buffer.count >= count, "the array reserved room for every element")
        buffer.baseAddress.unsafelyUnwrapped.moveInitialize(from: start, count: count)
        return (EmptyCollection<Element>.Iterator(), count)
    }
}

extension ScratchStack where Element == JSONObject.Member {
    private static var valueOffset: Int { MemoryLayout<JSONObject.Member>.offset(of: \.value)! }

    /// Sets the value of the top member, pushed with a `.null` placeholder: there is nothing
    /// to release, so the value is moved in over it.
    @inline(__always)
    func setLastValue(_ value: consuming JSONValue) {
        let member = UnsafeMutableRawPointer(base.unsafelyUnwrapped + (count - 1))
        (member + Self.valueOffset).assumingMemoryBound(to: JSONValue.self).initialize(to: value)
    }
}

extension ScratchStack where Element == UInt32 {
    /// Whether two of the values from `start` up are equal (for few values, pairwise).
    ///
    /// `distinct`, when given, holds the last values found to have no repeat, and takes these
    /// when they have none: the objects of a stream mostly repeat one set of keys, so the next
    /// one is checked by comparing with it rather than pair by pair.
    func hasRepeat(from start: Int, distinct: ScratchStack<UInt32>? = nil) -> Bool {
        let n = count - start
        if n > 64 { return true }  // Let the caller check large objects by key.
        guard n > 1, let base else { return false }
        guard let distinct else { return hasRepeatPairwise(from: start) }
        if distinct.count == n, let known = distinct.base, memcmp(known, base + start, n * MemoryLayout<UInt32>.stride) == 0 {
            return false
        }
        if hasRepeatPairwise(from: start) { return true }
        distinct.pop(to: 0)
        for i in start..<count { distinct.push(base[i]) }
        return false
    }

    private func hasRepeatPairwise(from start: Int) -> Bool {
        guard let base else { return false }
        var i = start + 1
        while i < count {
            var j = start
            while j < i {
                if base[i] == base[j] { return true }
                j += 1
            }
            i += 1
        }
        return false
    }
}
