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
    func popArray(from start: Int) -> [Element] {
        let n = count - start
        let array = [Element](unsafeUninitializedCapacity: n) { buffer, initialized in
            if n > 0 { buffer.baseAddress!.moveInitialize(from: base.unsafelyUnwrapped + start, count: n) }
            initialized = n
        }
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
    func hasRepeat(from start: Int) -> Bool {
        let n = count - start
        if n > 64 { return true }  // Let the caller check large objects by key.
        guard n > 1, let base else { return false }
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
