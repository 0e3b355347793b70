import Foundation
import JSONCore

/// One history event, shaped as AWS's `GetExecutionHistory` returns it.
public struct HistoryEvent: Sendable {
    public var id: Int
    public var previousEventId: Int
    public var timestamp: Date
    public var type: String
    /// The `...EventDetails` object (under its AWS key, e.g. `stateEnteredEventDetails`).
    public var detailsKey: String?
    public var details: JSONValue?

    /// The event as AWS's JSON.
    public var json: JSONValue {
        var object = JSONObject()
        object["timestamp"] = .string(Timestamps.format(timestamp))
        object["type"] = .string(type)
        object["id"] = .int(Int64(id))
        object["previousEventId"] = .int(Int64(previousEventId))
        if let detailsKey, let details { object[detailsKey] = details }
        return .object(object)
    }
}

/// The events of one execution, appended from concurrent branches under a lock.
public final class History: @unchecked Sendable {
    // @unchecked: `events` is only touched under `lock`.
    private let lock = NSLock()
    private var events: [HistoryEvent] = []
    /// AWS caps a history at 25,000 events.
    public static let maximumEvents = 25_000

    public init() {}

    /// Appends an event and returns its id. `previous` is the id of the event this one
    /// follows in its branch (defaults to the last event recorded).
    @discardableResult
    public func record(_ type: String, at time: Date, previous: Int? = nil, detailsKey: String? = nil, details: JSONValue? = nil) -> Int {
        lock.withLock {
            let id = events.count + 1
            events.append(HistoryEvent(id: id, previousEventId: previous ?? (id - 1), timestamp: time, type: type, detailsKey: detailsKey, details: details))
            return id
        }
    }

    public var count: Int { lock.withLock { events.count } }
    public var all: [HistoryEvent] { lock.withLock { events } }
}

/// ISO 8601 timestamps as AWS prints them.
enum Timestamps {
    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// Parses an ASL timestamp (RFC 3339, uppercase T, `Z` or an offset; fractional seconds
    /// allowed, nanoseconds included).
    static func parse(_ text: String) -> Date? {
        guard text.count >= 20 else { return nil }
        let chars = Array(text.utf8)
        guard chars.count > 19, chars[10] == UInt8(ascii: "T") else { return nil }
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
        // Reject what the formatter silently normalises (month 13, hour 25).
        guard text.utf8.count > 0 else { return nil }
        return date.addingTimeInterval(fraction)
    }
}
