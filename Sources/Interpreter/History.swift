import ASLModel
import Foundation
import JSONCore
import Synchronization

/// One history event, shaped as AWS's `GetExecutionHistory` returns it.
public struct HistoryEvent: Sendable {
    public var id: Int
    public var previousEventId: Int
    public var timestamp: Date
    public var type: String
    /// The `...EventDetails` object (under its AWS key, e.g. `stateEnteredEventDetails`).
    public var detailsKey: String?
    public var details: JSONValue?
    /// Payloads (`input`, `output`, `parameters`) kept as values; AWS shows them as JSON text,
    /// made only when the event is rendered, so recording costs no serialisation.
    public var payloads: [(key: String, value: JSONValue)] = []
    /// The state (or Map state) the event is about, and the iteration index of a Map
    /// iteration event: kept as they are and rendered into the details on demand.
    public var stateName: String? = nil
    public var iterationIndex: Int? = nil

    /// The value of a payload field.
    public func payload(_ key: String) -> JSONValue? { payloads.first { $0.key == key }?.value }

    /// The event as AWS's JSON.
    public var json: JSONValue {
        var object = JSONObject()
        object["timestamp"] = .string(Timestamps.format(timestamp))
        object["type"] = .string(type)
        object["id"] = .int(Int64(id))
        object["previousEventId"] = .int(Int64(previousEventId))
        if let detailsKey {
            var rendered = JSONObject()
            if let stateName { rendered["name"] = .string(stateName) }
            if let iterationIndex { rendered["index"] = .int(Int64(iterationIndex)) }
            for (key, value) in payloads {
                rendered[key] = .string(value.compactString)
                if key == "input" || key == "output" { rendered[key + "Details"] = ["truncated": false] }
            }
            for member in details?.objectValue?.members ?? [] { rendered[member.key] = member.value }
            object[detailsKey] = .object(rendered)
        }
        return .object(object)
    }
}

extension HistoryEvent {
    /// Writes the event's compact JSON (the text of `json.compactString`) without building
    /// the value first: a Map Run's Standard children write millions of events.
    public func write(to sink: inout JSONByteBuffer) {
        var texts = PayloadTexts()
        write(to: &sink, texts: &texts)
    }

    /// `texts` remembers the payloads already written as JSON string literals: one history
    /// passes the same input and output along from event to event.
    func write(to sink: inout JSONByteBuffer, texts: inout PayloadTexts) {
        // Details that would replace a rendered field keep `json`'s ordering rules.
        if let members = details?.objectValue?.members, members.contains(where: { member in
            member.key == "name" || member.key == "index" || member.key == "inputDetails" || member.key == "outputDetails"
                || payloads.contains { member.key == $0.key }
        }) {
            json.write(to: &sink)
            return
        }
        // The event's type, its details' key and its payloads' names are the engine's own.
        sink.write(raw: "{\"timestamp\":")
        Timestamps.write(timestamp, to: &sink)
        sink.write(raw: ",\"type\":")
        sink.write(name: type)
        sink.write(raw: ",\"id\":")
        sink.write(integer: Int64(id))
        sink.write(raw: ",\"previousEventId\":")
        sink.write(integer: Int64(previousEventId))
        if let detailsKey {
            sink.write(UInt8(ascii: ","))
            sink.write(name: detailsKey)
            sink.write(raw: ":{")
            var first = true
            func key(_ name: String) {
                if !first { sink.write(UInt8(ascii: ",")) }
                first = false
                sink.write(name: name)
                sink.write(UInt8(ascii: ":"))
            }
            if let stateName {
                key("name")
                sink.write(string: stateName)
            }
            if let iterationIndex {
                key("index")
                JSONValue.int(Int64(iterationIndex)).write(to: &sink)
            }
            for (name, value) in payloads {
                key(name)
                texts.write(value, to: &sink)
                if name == "input" {
                    sink.write(raw: ",\"inputDetails\":{\"truncated\":false}")
                } else if name == "output" {
                    sink.write(raw: ",\"outputDetails\":{\"truncated\":false}")
                }
            }
            for member in details?.objectValue?.members ?? [] {
                if !first { sink.write(UInt8(ascii: ",")) }
                first = false
                sink.write(string: member.key)
                sink.write(UInt8(ascii: ":"))
                member.value.write(to: &sink)
            }
            sink.write(UInt8(ascii: "}"))
        }
        sink.write(UInt8(ascii: "}"))
    }

    /// A history's compact JSON array.
    public static func jsonText(_ events: [HistoryEvent]) -> String {
        var texts = PayloadTexts()
        return jsonText(events, texts: &texts)
    }

    /// A history's compact JSON array, with payload texts shared with the caller's. (An
    /// array, not any collection: a generic function called from another module runs
    /// unspecialised, copying each event through its value witnesses.)
    public static func jsonText(_ events: [HistoryEvent], texts: inout PayloadTexts) -> String {
        var buffer = JSONByteBuffer(capacity: 256 * max(1, events.count))
        buffer.write(UInt8(ascii: "["))
        // By index: each event is written where it lies, not copied out first.
        for index in events.indices {
            if index != 0 { buffer.write(UInt8(ascii: ",")) }
            events[index].write(to: &buffer, texts: &texts)
        }
        buffer.write(UInt8(ascii: "]"))
        return buffer.string
    }
}

/// The texts of the payloads of one execution (its input and output pass from event to
/// event, and into its record): each printed once, found again by identical printing (not by
/// JSON equality: `1` and `1.0` are equal but print differently). Keeps the few most recent.
public struct PayloadTexts {
    private struct Entry {
        var value: JSONValue
        var compact: String
        /// `compact` as a JSON string literal, once asked for.
        var literal: [UInt8]?
    }

    private var recent: [Entry] = []

    public init() {}

    /// The compact JSON text of `value`.
    public mutating func compact(_ value: JSONValue) -> String {
        recent[entry(value)].compact
    }

    /// Writes the compact text of `value` as a JSON string literal (a payload field of an event).
    mutating func write(_ value: JSONValue, to sink: inout JSONByteBuffer) {
        let index = entry(value)
        if recent[index].literal == nil {
            var literal = JSONByteBuffer(capacity: recent[index].compact.utf8.count + 16)
            literal.write(string: recent[index].compact)
            recent[index].literal = literal.bytes
        }
        recent[index].literal!.withUnsafeBufferPointer { sink.write($0) }
    }

    private mutating func entry(_ value: JSONValue) -> Int {
        if let index = recent.firstIndex(where: { $0.value.printsIdentically(to: value) }) { return index }
        if recent.count == 4 { recent.removeFirst() }
        recent.append(Entry(value: value, compact: value.compactString))
        return recent.count - 1
    }
}

/// The events of one execution, appended from concurrent branches under a lock. A resumed
/// execution's history continues after the events committed before the crash: only the new
/// ones are held here.
///
/// A Map Run's Express children count their events without keeping them: nobody can read an
/// Express execution's history (AWS has no GetExecutionHistory for them), and their event ids
/// still appear in causes. An event's parts are then never built.
public final class History: Sendable {
    private let events = Mutex<[HistoryEvent]>([])
    /// How many events a history that keeps none has recorded.
    private let counted = Atomic<Int>(0)
    private let keepsEvents: Bool
    /// Events recorded before this process (a resumed execution).
    private let earlier: Int
    /// AWS caps a history at 25,000 events.
    public static let maximumEvents = 25_000

    public init(continuingAfter earlier: Int = 0, keepingEvents: Bool = true) {
        self.earlier = earlier
        keepsEvents = keepingEvents
        // A one-Task child records seven events: room for them at once, not grown four times.
        if keepingEvents { events.withLock { $0.reserveCapacity(8) } }
    }

    /// Appends an event and returns its id. `previous` is the id of the event this one
    /// follows in its branch (defaults to the last event recorded). A history that keeps no
    /// events (an Express child's) only counts it: its time, type, details and payloads are
    /// not even made.
    @discardableResult
    public func record(
        _ type: @autoclosure () -> String, at time: @autoclosure () -> Date, previous: Int? = nil, detailsKey: String? = nil,
        details: @autoclosure () -> JSONValue? = nil, payloads: @autoclosure () -> [(key: String, value: JSONValue)] = [],
        stateName: String? = nil, iterationIndex: Int? = nil
    ) -> Int {
        guard keepsEvents else { return earlier + counted.add(1, ordering: .relaxed).newValue }
        var event = HistoryEvent(
            id: 0, previousEventId: 0, timestamp: time(), type: type(), detailsKey: detailsKey, details: details(), payloads: payloads(),
            stateName: stateName, iterationIndex: iterationIndex)
        return events.withLock { events in
            let id = earlier + events.count + 1
            event.id = id
            event.previousEventId = previous ?? (id - 1)
            events.append(event)
            return id
        }
    }

    /// The number of events, the earlier ones included.
    public var count: Int { keepsEvents ? events.withLock { earlier + $0.count } : earlier + counted.load(ordering: .relaxed) }
    /// The events recorded in this process.
    public var all: [HistoryEvent] { events.withLock { $0 } }

    /// The events with ids above `id`.
    public func events(after id: Int) -> ArraySlice<HistoryEvent> {
        events.withLock { events in events[min(events.count, max(0, id - earlier))...] }
    }
}

/// ISO 8601 timestamps as AWS prints them.
enum Timestamps {
    /// `2026-11-26T01:17:00.123Z`. Written by hand: creating a date formatter per event cost
    /// more than running the state.
    static func format(_ date: Date) -> String {
        guard let digits = Digits(date) else { return outOfRange(date) }
        // Each Map child formats several of these: written straight into the string's bytes.
        return String(unsafeUninitializedCapacity: Digits.count) { digits.copy(to: $0) }
    }

    /// Writes `date` as a JSON string literal (what `format` gives, in quotes), without making
    /// the string: a Standard child's history has a timestamp in every event.
    static func write(_ date: Date, to sink: inout JSONByteBuffer) {
        guard let digits = Digits(date) else {
            sink.write(string: outOfRange(date))
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Digits.count + 2) { buffer in
            buffer[0] = UInt8(ascii: "\"")
            let written = digits.copy(to: UnsafeMutableBufferPointer(rebasing: buffer[1...]))
            buffer[written + 1] = UInt8(ascii: "\"")
            sink.write(UnsafeBufferPointer(rebasing: buffer[..<(written + 2)]))
        }
    }

    /// A year outside four digits (no execution runs then).
    private static func outOfRange(_ date: Date) -> String {
        let parts = Parts(date)
        return String(
            format: "%lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second,
            parts.millisecond)
    }

    /// A date's civil fields, in UTC.
    private struct Parts {
        var year, month, day, hour, minute, second, millisecond: Int64

        init(_ date: Date) {
            let totalMilliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
            var days = totalMilliseconds >= 0 ? totalMilliseconds / 86_400_000 : (totalMilliseconds - 86_399_999) / 86_400_000
            let millisecondOfDay = totalMilliseconds - days * 86_400_000
            // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
            days += 719_468
            let era = (days >= 0 ? days : days - 146_096) / 146_097
            let dayOfEra = days - era * 146_097
            let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
            let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
            let monthIndex = (5 * dayOfYear + 2) / 153
            let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
            let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
            year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
            self.month = month
            self.day = day
            hour = millisecondOfDay / 3_600_000
            minute = millisecondOfDay / 60_000 % 60
            second = millisecondOfDay / 1000 % 60
            millisecond = millisecondOfDay % 1000
        }
    }

    /// A date with a four-digit year, to be copied out as text.
    private struct Digits {
        static let count = 24
        let parts: Parts

        init?(_ date: Date) {
            parts = Parts(date)
            guard (0...9999).contains(parts.year) else { return nil }
        }

        /// Writes the `count` bytes of the text into `buffer`; returns `count`.
        func copy(to buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
            var position = 0
            func put(_ value: Int64, digits: Int, then separator: UInt8) {
                var value = value
                for index in stride(from: position + digits - 1, through: position, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                buffer[position + digits] = separator
                position += digits + 1
            }
            put(parts.year, digits: 4, then: UInt8(ascii: "-"))
            put(parts.month, digits: 2, then: UInt8(ascii: "-"))
            put(parts.day, digits: 2, then: UInt8(ascii: "T"))
            put(parts.hour, digits: 2, then: UInt8(ascii: ":"))
            put(parts.minute, digits: 2, then: UInt8(ascii: ":"))
            put(parts.second, digits: 2, then: UInt8(ascii: "."))
            put(parts.millisecond, digits: 3, then: UInt8(ascii: "Z"))
            return position
        }
    }

    /// Parses an ASL timestamp (RFC 3339, uppercase T, `Z` or an offset; fractional seconds
    /// allowed, nanoseconds included).
    static func parse(_ text: String) -> Date? {
        // The format check rejects what the formatter would silently normalise (month 13, hour 25).
        guard Timestamp.isRFC3339(text) else { return nil }
        let chars = Array(text.utf8)
        // Separate fractional seconds, which ISO8601DateFormatter limits to milliseconds.
        var base = String(decoding: chars[0..<19], as: UTF8.self)
        var i = 19
        var fraction = 0.0
        if chars[i] == UInt8(ascii: ".") {
            var digits = ""
            i += 1
            while i < chars.count, chars[i] >= 48, chars[i] <= 57 {
                digits.append(Character(UnicodeScalar(chars[i])))
                i += 1
            }
            guard !digits.isEmpty else { return nil }
            fraction = Double("0." + digits) ?? 0
        }
        let zone = String(decoding: chars[i...], as: UTF8.self)
        guard zone == "Z" || (zone.count == 6 && (zone.hasPrefix("+") || zone.hasPrefix("-"))) else { return nil }
        base += zone
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: base) else { return nil }
        return date.addingTimeInterval(fraction)
    }
}
