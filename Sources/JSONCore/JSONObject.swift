/// A JSON object that keeps its members in insertion order.
///
/// Small objects (the common case for items and payloads) are a plain array searched linearly;
/// past `indexThreshold` members a key → position index is kept as well. Assigning to an
/// existing key keeps the key's position, as Jackson's `ObjectNode` does (the last duplicate key
/// in a document wins, at the place of the first).
public struct JSONObject: Sendable {
    public struct Member: Sendable {
        public var key: String
        public var value: JSONValue
        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    static let indexThreshold = 16

    public private(set) var members: [Member]
    private var index: [ExactKey: Int]?

    public init() {
        members = []
    }

    /// The members of a parsed object, in document order. A repeated key keeps its first
    /// position and its last value, as Jackson does.
    init(parsedMembers: [Member], mayRepeatKeys: Bool = true) {
        members = parsedMembers
        if !mayRepeatKeys {
            if members.count > Self.indexThreshold { rebuildIndex() }
            return
        }
        if members.count > Self.indexThreshold {
            var built = [ExactKey: Int](minimumCapacity: members.count)
            var duplicates = false
            for (i, member) in members.enumerated() where built.updateValue(i, forKey: ExactKey(string: member.key)) != nil {
                duplicates = true
            }
            if duplicates { self = JSONObject(deduplicating: parsedMembers) } else { index = built }
            return
        }
        for i in 1..<Swift.max(1, members.count) {
            for j in 0..<i where members[j].key.isExactlyEqual(to: members[i].key) {
                self = JSONObject(deduplicating: parsedMembers)
                return
            }
        }
    }

    /// An object from members whose keys the caller knows to be distinct (the headers of a
    /// CSV file, checked once): no duplicate check per object.
    public init(distinctMembers members: [Member]) {
        self.members = members
        if members.count > Self.indexThreshold { rebuildIndex() }
    }

    private init(deduplicating members: [Member]) {
        self.init()
        for member in members { self[member.key] = member.value }
    }

    public init(_ pairs: some Sequence<(String, JSONValue)>) {
        members = []
        for (key, value) in pairs { self[key] = value }
    }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.key) }
    public var values: [JSONValue] { members.map(\.value) }

    public func position(of key: String) -> Int? {
        if let index { return index[ExactKey(string: key)] }
        return members.firstIndex { $0.key.isExactlyEqual(to: key) }
    }

    public func contains(_ key: String) -> Bool { position(of: key) != nil }

    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { members[$0].value } }
        set {
            if let newValue {
                if let at = position(of: key) {
                    members[at].value = newValue
                } else {
                    append(key: key, value: newValue)
                }
            } else if let at = position(of: key) {
                members.remove(at: at)
                rebuildIndex()
            }
        }
    }

    /// Sets `key` to `value`: replaces the value of an existing key in place, or appends.
    @inline(__always)
    mutating func set(_ key: String, _ value: JSONValue) {
        if let at = position(of: key) {
            members[at].value = value
        } else {
            append(key: key, value: value)
        }
    }

    /// Appends a member known not to be present.
    mutating func append(key: String, value: JSONValue) {
        members.append(Member(key: key, value: value))
        if index != nil {
            index![ExactKey(string: key)] = members.count - 1
        } else if members.count > Self.indexThreshold {
            rebuildIndex()
        }
    }

    private mutating func rebuildIndex() {
        guard members.count > Self.indexThreshold else {
            index = nil
            return
        }
        var built = [ExactKey: Int](minimumCapacity: members.count)
        for (i, member) in members.enumerated() { built[ExactKey(string: member.key)] = i }
        index = built
    }
}

extension JSONObject: Sequence {
    public func makeIterator() -> some IteratorProtocol<(key: String, value: JSONValue)> {
        members.lazy.map { (key: $0.key, value: $0.value) }.makeIterator()
    }
}

extension JSONObject: Equatable {
    /// Objects are equal when they have the same keys with equal values, in any order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for member in lhs.members {
            guard let other = rhs[member.key], other == member.value else { return false }
        }
        return true
    }
}

extension JSONObject: Hashable {
    public func hash(into hasher: inout Hasher) {
        // Order-independent: combine the members' hashes commutatively.
        var sum = 0
        for member in members {
            var h = Hasher()
            h.combine(ExactKey(string: member.key))
            h.combine(member.value)
            sum = sum &+ h.finalize()
        }
        hasher.combine(members.count)
        hasher.combine(sum)
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}
