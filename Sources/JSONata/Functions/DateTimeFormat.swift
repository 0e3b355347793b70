import Foundation
import Synchronization

/// `$fromMillis`/`$now` picture formatting and `$toMillis` parsing (XPath
/// `fn:format-dateTime`): markers such as `[Y0001]`, `[MNn]`, `[D1o]`, `[H01]`, `[Z01:01t]`.
enum DateTimeFormat {
    struct Marker: Sendable {
        var component: Character
        var presentation1: String
        var presentation2: Character?
        var names: IntegerPicture.LetterCase?
        var integer: IntegerPicture?
        var minWidth: Int?
        var maxWidth: Int?
        /// The fixed number of digits of a year, month or day (-1: not fixed); a year is
        /// written modulo 10^digits.
        var digits = -1
    }

    enum Part: Sendable {
        case literal(String)
        case marker(Marker)
    }

    static let defaultPresentation: [Character: String] = [
        "Y": "1", "M": "1", "D": "1", "d": "1", "F": "n", "W": "1", "w": "1", "X": "1", "x": "1", "H": "1", "h": "1", "P": "n",
        "m": "01", "s": "01", "f": "1", "Z": "01:01", "z": "01:01", "C": "n", "E": "n",
    ]
    static let dayNames = ["", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    static let monthNames = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December",
    ]
    static let isoPicture = "[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"

    private static let analysed = Mutex<[String: [Part]]>([:])

    /// The picture's parts, analysed once per process (pictures are usually literals).
    static func analyse(_ picture: String) throws(JSONataError) -> [Part] {
        if let known = analysed.withLock({ $0[picture] }) { return known }
        let parts = try analyseUncached(picture)
        analysed.withLock { cache in
            if cache.count >= 256 { cache.removeAll() }
            cache[picture] = parts
        }
        return parts
    }

    private static func analyseUncached(_ picture: String) throws(JSONataError) -> [Part] {
        var parts: [Part] = []
        let chars = Array(picture)
        var start = 0
        var pos = 0
        func addLiteral(_ from: Int, _ to: Int) {
            guard to > from else { return }
            parts.append(.literal(String(chars[from..<to]).replacingAll("]]", with: "]")))
        }
        while pos < chars.count {
            if chars[pos] == "[" {
                if pos + 1 < chars.count, chars[pos + 1] == "[" {
                    addLiteral(start, pos)
                    parts.append(.literal("["))
                    pos += 2
                    start = pos
                    continue
                }
                addLiteral(start, pos)
                start = pos
                guard let close = chars[start...].firstIndex(of: "]") else { throw JSONataError("D3135") }
                pos = close
                let marker = String(chars[(start + 1)..<pos].filter { !$0.isWhitespace })
                parts.append(.marker(try analyseMarker(marker)))
                start = pos + 1
            }
            pos += 1
        }
        addLiteral(start, pos)
        return parts
    }

    private static func analyseMarker(_ text: String) throws(JSONataError) -> Marker {
        let chars = Array(text)
        guard let component = chars.first else { throw JSONataError("D3132", value: .string("")) }
        var presentation = String(chars.dropFirst())
        var minWidth: Int?
        var maxWidth: Int?
        if let comma = chars.lastIndex(of: ",") {
            let width = String(chars[(comma + 1)...])
            let bounds = width.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            func parseWidth(_ w: String?) -> Int? {
                guard let w, w != "*" else { return nil }
                return Int(w.prefix { $0.isNumber })
            }
            minWidth = parseWidth(bounds.first)
            maxWidth = bounds.count > 1 ? parseWidth(bounds[1]) : nil
            presentation = String(chars[1..<comma])
        }
        var marker = Marker(component: component, presentation1: "")
        marker.minWidth = minWidth
        marker.maxWidth = maxWidth
        if presentation.count == 1 {
            marker.presentation1 = presentation
        } else if presentation.count > 1 {
            let last = presentation.last!
            if "atco".contains(last) {
                marker.presentation2 = last
                marker.presentation1 = String(presentation.dropLast())
            } else {
                marker.presentation1 = presentation
            }
        } else {
            guard let fallback = defaultPresentation[component] else {
                throw JSONataError("D3132", value: .string(String(component)))
            }
            marker.presentation1 = fallback
        }
        if marker.presentation1.first == "n" {
            marker.names = .lower
        } else if marker.presentation1.first == "N" {
            marker.names = marker.presentation1.dropFirst().first == "n" ? .title : .upper
        } else if "YMDdFWwXxHhmsf".contains(component) {
            var pattern = marker.presentation1
            if let p2 = marker.presentation2 { pattern += ";" + String(p2) }
            var integer = try IntegerPicture(pattern)
            if let minWidth, integer.mandatoryDigits < minWidth { integer.mandatoryDigits = minWidth }
            if "YMD".contains(component) {
                if let maxWidth {
                    marker.digits = maxWidth
                    integer.mandatoryDigits = maxWidth
                } else if integer.mandatoryDigits + integer.optionalDigits >= 2 {
                    marker.digits = integer.mandatoryDigits + integer.optionalDigits
                }
            }
            marker.integer = integer
        }
        if component == "Z" || component == "z" { marker.integer = try IntegerPicture(marker.presentation1) }
        return marker
    }

    // MARK: Formatting

    static func format(_ millis: Double, picture: String?, timezone: String?) throws(JSONataError) -> String {
        var offsetHours = 0
        var offsetMinutes = 0
        if let timezone, let offset = Int(timezone.trimmingPrefixPlus) {
            offsetHours = Int((Double(offset) / 100).rounded(.down))
            offsetMinutes = offset % 100
        }
        if picture == nil, timezone == nil {
            let t = CivilTime(millis: millis)
            return isoString(t)
        }
        let parts = try analyse(picture ?? isoPicture)
        let shifted = millis + Double((60 * offsetHours + offsetMinutes) * 60_000)
        let time = CivilTime(millis: shifted)
        var out = ""
        for part in parts {
            switch part {
            case .literal(let text): out += text
            case .marker(let marker):
                out += try formatComponent(marker, time, shifted, offsetHours: offsetHours, offsetMinutes: offsetMinutes)
            }
        }
        return out
    }

    static func isoString(_ t: CivilTime) -> String {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(abs(n))
            return (n < 0 ? "-" : "") + String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let year = t.year >= 0 && t.year <= 9999 ? pad(t.year, 4) : (t.year < 0 ? "-" : "+") + pad(abs(t.year), 6)
        return "\(year)-\(pad(t.month, 2))-\(pad(t.day, 2))T\(pad(t.hour, 2)):\(pad(t.minute, 2)):\(pad(t.second, 2)).\(pad(t.millisecond, 3))Z"
    }

    private static func formatComponent(
        _ marker: Marker, _ t: CivilTime, _ millis: Double, offsetHours: Int, offsetMinutes: Int
    ) throws(JSONataError) -> String {
        let c = marker.component
        if "YMDdFWwXxHhms".contains(c) {
            guard var value = fragment(c, t, millis).number else { return "" }
            if c == "Y", marker.digits != -1 {
                var modulus = 1
                for _ in 0..<min(marker.digits, 18) { modulus *= 10 }
                value %= modulus
            }
            if let names = marker.names {
                var name: String
                switch c {
                case "M", "x": name = monthNames[value - 1]
                case "F": name = dayNames[value]
                default: throw JSONataError("D3133", value: .string(String(c)))
                }
                switch names {
                case .upper: name = name.uppercased()
                case .lower: name = name.lowercased()
                case .title: break
                }
                if let maxWidth = marker.maxWidth, name.count > maxWidth { name = String(name.prefix(maxWidth)) }
                return name
            }
            return try marker.integer!.format(value)
        }
        switch c {
        case "f":
            return try marker.integer!.format(t.millisecond)
        case "Z", "z":
            let offset = offsetHours * 100 + offsetMinutes
            var text: String
            let integer = marker.integer!
            if integer.regular != nil {
                text = try integer.format(offset)
            } else {
                let digits = integer.mandatoryDigits
                if digits == 1 || digits == 2 {
                    text = try integer.format(offsetHours)
                    if offsetMinutes != 0 { text += ":" + (try IntegerPicture("00").format(offsetMinutes)) }
                } else if digits == 3 || digits == 4 {
                    text = try integer.format(offset)
                } else {
                    throw JSONataError("D3134", value: .number(Double(digits)))
                }
            }
            if offset >= 0 { text = "+" + text }
            if c == "z" { text = "GMT" + text }
            if offset == 0, marker.presentation2 == "t" { text = "Z" }
            return text
        case "P":
            let text = t.hour >= 12 ? "pm" : "am"
            return marker.names == .upper ? text.uppercased() : text
        case "C", "E":
            return "ISO"
        default:
            return ""
        }
    }

    enum Fragment {
        case number(Int)
        case text(String)

        var number: Int? { if case .number(let n) = self { n } else { nil } }
    }

    static func fragment(_ component: Character, _ t: CivilTime, _ millis: Double) -> Fragment {
        switch component {
        case "Y": return .number(t.year)
        case "M": return .number(t.month)
        case "D": return .number(t.day)
        case "d": return .number(t.dayOfYear)
        case "F": return .number(t.isoWeekday)
        case "W":
            let today = Double(CivilTime.days(year: t.year, month: t.month, day: t.day)) * 86_400_000
            var week = weeks(from: startOfFirstWeek(t.year, 1), to: today)
            if week > 52 {
                if today >= startOfFirstWeek(t.year + 1, 1) { week = 1 }
            } else if week < 1 {
                week = weeks(from: startOfFirstWeek(t.year - 1, 1), to: today)
            }
            return .number(Int(week.rounded(.down)))
        case "w":
            let today = Double(CivilTime.days(year: t.year, month: t.month, day: t.day)) * 86_400_000
            var week = weeks(from: startOfFirstWeek(t.year, t.month), to: today)
            if week > 4 {
                let (ny, nm) = t.month == 12 ? (t.year + 1, 1) : (t.year, t.month + 1)
                if today >= startOfFirstWeek(ny, nm) { week = 1 }
            } else if week < 1 {
                let (py, pm) = t.month == 1 ? (t.year - 1, 12) : (t.year, t.month - 1)
                week = weeks(from: startOfFirstWeek(py, pm), to: today)
            }
            return .number(Int(week.rounded(.down)))
        case "X":
            if millis < startOfFirstWeek(t.year, 1) { return .number(t.year - 1) }
            if millis >= startOfFirstWeek(t.year + 1, 1) { return .number(t.year + 1) }
            return .number(t.year)
        case "x":
            let (ny, nm) = t.month == 12 ? (t.year + 1, 1) : (t.year, t.month + 1)
            if millis < startOfFirstWeek(t.year, t.month) { return .number(t.month == 1 ? 12 : t.month - 1) }
            if millis >= startOfFirstWeek(ny, nm) { return .number(nm) }
            return .number(t.month)
        case "H": return .number(t.hour)
        case "h":
            let h = t.hour % 12
            return .number(h == 0 ? 12 : h)
        case "P": return .text(t.hour >= 12 ? "pm" : "am")
        case "m": return .number(t.minute)
        case "s": return .number(t.second)
        case "f": return .number(t.millisecond)
        default: return .text("ISO")
        }
    }

    /// The first day of week 1 of a year or month: the week (from Monday) holding its first
    /// Thursday.
    private static func startOfFirstWeek(_ year: Int, _ month: Int) -> Double {
        let first = CivilTime(year: year, month: month, day: 1)
        let firstMillis = first.millis
        let weekday = first.isoWeekday
        return weekday > 4 ? firstMillis + Double(8 - weekday) * 86_400_000 : firstMillis - Double(weekday - 1) * 86_400_000
    }

    private static func weeks(from start: Double, to end: Double) -> Double {
        (end - start) / (86_400_000 * 7) + 1
    }

    // MARK: Parsing

    /// JSONata's test for an ISO 8601 timestamp (what `$toMillis` accepts without a picture).
    private static let isoShape = try! NSRegularExpression(
        pattern: #"^(\d{4})(-[01]\d)*(-[0-3]\d)*(T[0-2]\d:[0-5]\d:[0-5]\d)*(\.\d+)?([+-][0-2]\d:?[0-5]\d|Z)?$"#)
    /// Its parts, as `Date.parse` reads them.
    private static let isoParts = try! NSRegularExpression(
        pattern: #"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(Z|[+-]\d{2}:?\d{2})?$"#)

    /// `$toMillis` without a picture: ISO 8601 forms JavaScript's `Date.parse` reads, in UTC
    /// unless an offset is given.
    static func parseISO(_ text: String) -> Double? {
        let ns = text as NSString
        let whole = NSRange(location: 0, length: ns.length)
        guard isoShape.firstMatch(in: text, range: whole) != nil else { return nil }
        guard let m = isoParts.firstMatch(in: text, range: whole) else { return .nan }
        func group(_ i: Int) -> String? {
            let r = m.range(at: i)
            return r.location == NSNotFound ? nil : ns.substring(with: r)
        }
        let year = Int(group(1)!)!
        let month = group(2).flatMap { Int($0) } ?? 1
        let day = group(3).flatMap { Int($0) } ?? 1
        let hour = group(4).flatMap { Int($0) } ?? 0
        let minute = group(5).flatMap { Int($0) } ?? 0
        let second = group(6).flatMap { Int($0) } ?? 0
        let fraction = group(7).map { Int(($0 + "00").prefix(3))! } ?? 0
        guard (1...12).contains(month), day >= 1, day <= CivilTime.daysInMonth(year, month), hour <= 24, minute < 60, second < 60 else {
            return .nan
        }
        var millis = CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second, millisecond: fraction).millis
        if let zone = group(8), zone != "Z" {
            let digits = zone.dropFirst().filter(\.isNumber)
            let h = Int(digits.prefix(2))!
            let mm = Int(digits.dropFirst(2))!
            let offset = Double((h * 60 + mm) * 60_000)
            millis += zone.hasPrefix("+") ? -offset : offset
        }
        return millis
    }
}

extension String {
    fileprivate var trimmingPrefixPlus: String { hasPrefix("+") ? String(dropFirst()) : self }
}
