import Foundation

/// Python's `datetime.datetime`, `datetime.date` and `datetime.timedelta`, as dbt exposes them through
/// `modules.datetime` and `run_started_at`. Times are UTC; aware datetimes print `+00:00` as Python does.
public final class PyDateTime: OperandObject {
    public let date: Date
    public let isDateOnly: Bool
    public let isAware: Bool

    public init(_ date: Date, dateOnly: Bool = false, aware: Bool = false) {
        self.date = date
        self.isDateOnly = dateOnly
        self.isAware = aware
    }

    static let calendar: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!
        return c
    }()

    var parts: DateComponents { Self.calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond, .weekday], from: date) }
    var microsecond: Int { (parts.nanosecond ?? 0) / 1000 }

    public var typeName: String { isDateOnly ? "date" : "datetime" }

    public var stringValue: String {
        let p = parts
        var s = String(format: "%04d-%02d-%02d", p.year!, p.month!, p.day!)
        if isDateOnly { return s }
        s += String(format: " %02d:%02d:%02d", p.hour!, p.minute!, p.second!)
        if microsecond != 0 { s += String(format: ".%06d", microsecond) }
        if isAware { s += "+00:00" }
        return s
    }

    public func attribute(_ name: String) -> Value? {
        let p = parts
        switch name {
        case "year": return .int(p.year!)
        case "month": return .int(p.month!)
        case "day": return .int(p.day!)
        case "hour": return .int(isDateOnly ? 0 : p.hour!)
        case "minute": return .int(isDateOnly ? 0 : p.minute!)
        case "second": return .int(isDateOnly ? 0 : p.second!)
        case "microsecond": return .int(isDateOnly ? 0 : microsecond)
        case "strftime":
            return .function(Function("strftime") { [self] args, site in
                guard let fmt = args.positional.first?.asString else { throw site.error("strftime() needs a format string", code: .wrongArguments) }
                return .string(strftime(fmt))
            })
        case "isoformat":
            return .function(Function("isoformat") { [self] args, _ in
                let sep = args.argument(0, "sep")?.asString ?? "T"
                return .string(stringValue.replacingOccurrences(of: " ", with: sep))
            })
        case "date": return .function(Function("date") { [self] _, _ in .object(PyDateTime(Self.calendar.startOfDay(for: date), dateOnly: true)) })
        case "weekday": return .function(Function("weekday") { [self] _, _ in .int(((parts.weekday ?? 1) + 5) % 7) })
        case "timestamp": return .function(Function("timestamp") { [self] _, _ in .double(date.timeIntervalSince1970) })
        case "replace":
            return .function(Function("replace") { [self] args, _ in
                var c = parts
                for (k, v) in args.keyword {
                    if let i = v.asInt { c.setPythonField(k, i) }
                }
                c.weekday = nil
                return .object(PyDateTime(Self.calendar.date(from: c) ?? date, dateOnly: isDateOnly, aware: isAware))
            })
        default: return nil
        }
    }

    /// C strftime codes that Python supports and dbt projects use.
    public func strftime(_ fmt: String) -> String {
        let p = parts
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        var out = ""
        var it = fmt.makeIterator()
        while let c = it.next() {
            guard c == "%" else { out.append(c); continue }
            guard let code = it.next() else { out.append("%"); break }
            switch code {
            case "Y": out += String(format: "%04d", p.year!)
            case "y": out += String(format: "%02d", p.year! % 100)
            case "m": out += String(format: "%02d", p.month!)
            case "d": out += String(format: "%02d", p.day!)
            case "H": out += String(format: "%02d", isDateOnly ? 0 : p.hour!)
            case "I": out += String(format: "%02d", isDateOnly ? 12 : (p.hour! % 12 == 0 ? 12 : p.hour! % 12))
            case "p": out += (isDateOnly || p.hour! < 12) ? "AM" : "PM"
            case "M": out += String(format: "%02d", isDateOnly ? 0 : p.minute!)
            case "S": out += String(format: "%02d", isDateOnly ? 0 : p.second!)
            case "f": out += String(format: "%06d", isDateOnly ? 0 : microsecond)
            case "j": out += String(format: "%03d", Self.calendar.ordinality(of: .day, in: .year, for: date) ?? 1)
            case "B": out += months[p.month! - 1]
            case "b": out += String(months[p.month! - 1].prefix(3))
            case "A": out += days[p.weekday! - 1]
            case "a": out += String(days[p.weekday! - 1].prefix(3))
            case "w": out += String(p.weekday! - 1)
            case "z": out += isAware ? "+0000" : ""
            case "Z": out += isAware ? "UTC" : ""
            case "%": out += "%"
            default: out.append("%"); out.append(code)
            }
        }
        return out
    }

    public func binary(_ op: String, _ other: Value, reversed: Bool) -> Value? {
        switch (op, other) {
        case ("+", .object(let d as PyTimeDelta)):
            return .object(PyDateTime(date.addingTimeInterval(d.seconds), dateOnly: isDateOnly, aware: isAware))
        case ("-", .object(let d as PyTimeDelta)) where !reversed:
            return .object(PyDateTime(date.addingTimeInterval(-d.seconds), dateOnly: isDateOnly, aware: isAware))
        case ("-", .object(let o as PyDateTime)):
            let delta = date.timeIntervalSince(o.date)
            return .object(PyTimeDelta(seconds: reversed ? -delta : delta))
        case ("==", .object(let o as PyDateTime)): return .bool(date == o.date)
        default: return nil
        }
    }

    public func compare(to other: Value) -> Int? {
        guard case .object(let o as PyDateTime) = other else { return nil }
        return date < o.date ? -1 : (date == o.date ? 0 : 1)
    }
}

/// Python's `datetime.timedelta`.
public final class PyTimeDelta: OperandObject {
    public let seconds: Double
    public init(seconds: Double) { self.seconds = seconds }
    public var typeName: String { "timedelta" }
    public var stringValue: String {
        let days = Int((seconds / 86400).rounded(.down))
        let rest = seconds - Double(days) * 86400
        let h = Int(rest) / 3600, m = Int(rest) % 3600 / 60, s = Int(rest) % 60
        let hms = String(format: "%d:%02d:%02d", h, m, s)
        return days == 0 ? hms : "\(days) day\(abs(days) == 1 ? "" : "s"), \(hms)"
    }
    public func attribute(_ name: String) -> Value? {
        switch name {
        case "days": return .int(Int((seconds / 86400).rounded(.down)))
        case "seconds": return .int(Int(seconds - (seconds / 86400).rounded(.down) * 86400))
        case "total_seconds": return .function(Function("total_seconds") { [seconds] _, _ in .double(seconds) })
        default: return nil
        }
    }
    public func binary(_ op: String, _ other: Value, reversed: Bool) -> Value? {
        switch (op, other) {
        case ("+", .object(let d as PyTimeDelta)): return .object(PyTimeDelta(seconds: seconds + d.seconds))
        case ("-", .object(let d as PyTimeDelta)): return .object(PyTimeDelta(seconds: reversed ? d.seconds - seconds : seconds - d.seconds))
        case ("*", _): return other.asDouble.map { .object(PyTimeDelta(seconds: seconds * $0)) }
        default: return nil
        }
    }
    public func compare(to other: Value) -> Int? {
        guard case .object(let o as PyTimeDelta) = other else { return nil }
        return seconds < o.seconds ? -1 : (seconds == o.seconds ? 0 : 1)
    }
}

/// `modules.datetime`: the `datetime`, `date` and `timedelta` constructors and `datetime.now()`/`utcnow()`.
public enum PyDateTimeModule {
    /// `now` is fixed per invocation so a run renders consistently.
    public static func module(now: Date) -> Value {
        let cal = PyDateTime.calendar
        @Sendable func construct(_ dateOnly: Bool) -> Function {
            Function(dateOnly ? "date" : "datetime") { args, site in
                let names = ["year", "month", "day", "hour", "minute", "second", "microsecond"]
                var c = DateComponents()
                for (i, n) in names.enumerated() {
                    guard let v = args.argument(i, n) else { continue }
                    guard let x = v.asInt else { throw site.error("\(n) must be an integer", code: .wrongType) }
                    c.setPythonField(n, x)
                }
                guard c.year != nil, c.month != nil, c.day != nil, let d = cal.date(from: c) else {
                    throw site.error("\(dateOnly ? "date" : "datetime")() needs year, month and day", code: .wrongArguments)
                }
                return .object(PyDateTime(d, dateOnly: dateOnly))
            }
        }
        let datetimeCtor = construct(false)
        let datetimeType = Function("datetime", attributes: [
            "now": .function(Function("now") { _, _ in .object(PyDateTime(now)) }),
            "utcnow": .function(Function("utcnow") { _, _ in .object(PyDateTime(now)) }),
            "strptime": .function(Function("strptime") { args, site in
                guard let s = args.positional.first?.asString, let f = args.positional.dropFirst().first?.asString else {
                    throw site.error("strptime() needs a string and a format", code: .wrongArguments)
                }
                let df = DateFormatter()
                df.locale = Locale(identifier: "en_US_POSIX")
                df.timeZone = TimeZone(identifier: "UTC")
                df.dateFormat = f.replacingOccurrences(of: "%Y", with: "yyyy").replacingOccurrences(of: "%m", with: "MM")
                    .replacingOccurrences(of: "%d", with: "dd").replacingOccurrences(of: "%H", with: "HH")
                    .replacingOccurrences(of: "%M", with: "mm").replacingOccurrences(of: "%S", with: "ss")
                guard let d = df.date(from: s) else { throw site.error("time data '\(s)' does not match format '\(f)'", code: .wrongType) }
                return .object(PyDateTime(d))
            }),
        ]) { args, site in try datetimeCtor.callBody(args, site) }
        let dateType = Function("date", attributes: [
            "today": .function(Function("today") { _, _ in .object(PyDateTime(cal.startOfDay(for: now), dateOnly: true)) }),
        ]) { [dateCtor = construct(true)] args, site in try dateCtor.callBody(args, site) }
        let timedelta = Function("timedelta") { args, _ in
            let units: [(String, Double)] = [("days", 86400), ("seconds", 1), ("microseconds", 1e-6), ("milliseconds", 1e-3), ("minutes", 60), ("hours", 3600), ("weeks", 604800)]
            var total = 0.0
            for (i, (name, factor)) in units.enumerated() {
                if let v = args.argument(i, name)?.asDouble { total += v * factor }
            }
            return .object(PyTimeDelta(seconds: total))
        }
        return .dict([("datetime", .function(datetimeType)), ("date", .function(dateType)), ("timedelta", .function(timedelta))])
    }
}

extension Function {
    /// Calls the function's body directly (for host code composing functions).
    public func callBody(_ args: Arguments, _ site: CallSite) throws -> Value { try body(args, site) }
}

extension DateComponents {
    /// Sets a field by its name in Python's datetime (`microsecond` becomes nanoseconds).
    mutating func setPythonField(_ name: String, _ value: Int) {
        switch name {
        case "year": year = value
        case "month": month = value
        case "day": day = value
        case "hour": hour = value
        case "minute": minute = value
        case "second": second = value
        case "microsecond": nanosecond = value * 1000
        default: break
        }
    }
}
