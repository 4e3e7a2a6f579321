import Foundation

/// dbt's seed column types, inferred as dbt-postgres infers them: agate's type tester over the text of every value,
/// trying Number, Date (`%Y-%m-%d`), DateTime (`%Y-%m-%d %H:%M:%S`), ISO 8601 datetimes (with a `T`), Boolean
/// (`true`/`false` in any case), else Text, in that order; `""` and `null` (any case, trimmed) are NULL for every type.
/// A Number column is `float8` when a value has decimals after trailing zeros are dropped (agate's MaxPrecision),
/// else `integer` (so an all-empty column is `integer`); dates are `date`, both datetimes `timestamp without time
/// zone`. Observed field by field while the CSV is parsed, so a large file is read once.
///
/// Where COPY would read a value differently than dbt does (`5%`, `$3`, `1,000`, `1.0` in an integer column, a
/// `null` word, a quoted empty string), the column needs a conversion: it is loaded as text and changed to its type
/// with `conversion(for:)`, as dbt's insert would have cast it.
struct DbtSeedTypes: Sendable {
    static let number: UInt8 = 1, date: UInt8 = 2, datetime: UInt8 = 4, isoDatetime: UInt8 = 8, boolean: UInt8 = 16
    static let all: UInt8 = 31

    struct Column: Sendable {
        var candidates = DbtSeedTypes.all
        /// agate's MaxPrecision over the Number values.
        var decimals = 0
        /// A value COPY cannot read as the number it is: `%`, currency symbols, group commas, underscores.
        var numberNeedsCleaning = false
        /// A value written with a decimal point or an exponent (an `integer` column then needs a cast).
        var numberHasFraction = false
        /// A NULL that COPY would not read as NULL: `null`, a quoted or blank empty value.
        var nullWords = false
        var booleanNeedsCleaning = false
    }

    var columns: [Column]

    init(count: Int) { columns = Array(repeating: Column(), count: count) }

    /// Currency symbols agate strips from either end of a number (its defaults), as UTF-8.
    static let currencySymbols: [[UInt8]] = ["؋", "$", "ƒ", "៛", "¥", "₡", "₱", "£", "€", "¢", "﷼", "₪", "₩", "₭", "₮", "₦", "฿", "₤", "₫"].map { Array($0.utf8) }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    /// Observes the text of field `index` (the bytes between the quotes when `quoted`).
    mutating func observe(_ index: Int, _ raw: UnsafeBufferPointer<UInt8>, quoted: Bool) {
        guard index < columns.count else { return }
        var lo = 0, hi = raw.count
        while lo < hi, Self.isSpace(raw[lo]) { lo += 1 }
        while hi > lo, Self.isSpace(raw[hi - 1]) { hi -= 1 }
        let f = UnsafeBufferPointer(rebasing: raw[lo..<hi])
        if f.isEmpty || (f.count == 4 && f.map({ $0 | 0x20 }).elementsEqual("null".utf8)) {
            // NULL for every type; COPY reads only an unquoted empty field as NULL
            if !(raw.isEmpty && !quoted) { columns[index].nullWords = true }
            return
        }
        var c = columns[index]
        if c.candidates & Self.number != 0 {
            if let n = Self.parseNumber(f) {
                c.decimals = max(c.decimals, n.decimals)
                if n.needsCleaning || lo > 0 || hi < raw.count { c.numberNeedsCleaning = true }
                if n.hasFraction { c.numberHasFraction = true }
            } else { c.candidates &= ~Self.number }
        }
        if c.candidates & Self.date != 0, !Self.isDate(f) { c.candidates &= ~Self.date }
        if c.candidates & Self.datetime != 0, !Self.isDatetime(f) { c.candidates &= ~Self.datetime }
        if c.candidates & Self.isoDatetime != 0, !Self.isISODatetime(f) { c.candidates &= ~Self.isoDatetime }
        if c.candidates & Self.boolean != 0 {
            let plain = f.filter { $0 != 0x2C }
            let lower = plain.map { $0 | 0x20 }
            if lower.elementsEqual("true".utf8) || lower.elementsEqual("false".utf8) {
                if plain.count != f.count { c.booleanNeedsCleaning = true }
            } else { c.candidates &= ~Self.boolean }
        }
        columns[index] = c
    }

    /// The PostgreSQL type of each column, as dbt-postgres creates it.
    var types: [String] {
        columns.map { c in
            if c.candidates & Self.number != 0 { return c.decimals > 0 ? "float8" : "integer" }
            if c.candidates & Self.date != 0 { return "date" }
            if c.candidates & (Self.datetime | Self.isoDatetime) != 0 { return "timestamp without time zone" }
            if c.candidates & Self.boolean != 0 { return "boolean" }
            return "text"
        }
    }

    /// For a column COPY cannot load as dbt would: the expression (over the column loaded as text) that gives the
    /// value dbt inserts; nil when COPY reads the file as dbt does.
    func conversion(for index: Int, column quoted: String) -> String? {
        let c = columns[index], type = types[index]
        let cleaned: String
        switch type {
        case "integer", "float8":
            guard c.nullWords || c.numberNeedsCleaning || (type == "integer" && c.numberHasFraction) else { return nil }
            let symbols = "%,_" + String(decoding: Self.currencySymbols.joined(), as: UTF8.self)
            cleaned = "translate(btrim(\(quoted)), '\(symbols)', '')::\(type == "integer" ? "numeric::integer" : "float8")"
        case "boolean":
            guard c.nullWords || c.booleanNeedsCleaning else { return nil }
            cleaned = "translate(btrim(\(quoted)), ',', '')::boolean"
        case "text":
            guard c.nullWords else { return nil }
            cleaned = quoted
        default:
            guard c.nullWords else { return nil }
            cleaned = "btrim(\(quoted))::\(type)"
        }
        return "CASE WHEN lower(btrim(\(quoted))) IN ('', 'null') THEN NULL ELSE \(cleaned) END"
    }

    // MARK: agate's casts, on bytes

    /// agate's Number cast: `%` stripped from the ends, a leading `-`, currency symbols stripped from the ends,
    /// group commas removed, then Python's Decimal syntax. The places after the point once trailing zeros are
    /// dropped (Decimal.normalize), and whether COPY could not read it as written.
    static func parseNumber(_ f: UnsafeBufferPointer<UInt8>) -> (decimals: Int, needsCleaning: Bool, hasFraction: Bool)? {
        var s = Array(f)
        var cleaned = false
        while s.first == 0x25 { s.removeFirst(); cleaned = true }
        while s.last == 0x25 { s.removeLast(); cleaned = true }
        if s.first == 0x2D { s.removeFirst() }
        var stripped = true
        while stripped {
            stripped = false
            for sym in currencySymbols {
                if s.starts(with: sym) { s.removeFirst(sym.count); stripped = true; cleaned = true }
                if s.count >= sym.count, Array(s.suffix(sym.count)) == sym { s.removeLast(sym.count); stripped = true; cleaned = true }
            }
        }
        if s.contains(0x2C) { s.removeAll { $0 == 0x2C }; cleaned = true }
        // Python's Decimal: surrounding whitespace, a sign, digits with single underscores between them, a point,
        // an exponent; or Infinity/Inf/NaN/sNaN
        var i = 0
        while i < s.count, isSpace(s[i]) { i += 1 }
        var end = s.count
        while end > i, isSpace(s[end - 1]) { end -= 1 }
        if i > 0 || end < s.count { cleaned = true }
        if i < end, s[i] == 0x2B || s[i] == 0x2D { i += 1 }
        let word = String(decoding: s[i..<end], as: UTF8.self).lowercased()
        if ["inf", "infinity", "nan", "snan"].contains(word) { return (0, cleaned || word == "snan" || word == "inf", true) }
        func digits(_ from: inout Int) -> [UInt8]? {
            var out: [UInt8] = []
            var lastUnderscore = true
            while from < end {
                let x = s[from]
                if x >= 0x30 && x <= 0x39 { out.append(x); lastUnderscore = false }
                else if x == 0x5F, !lastUnderscore, from + 1 < end, s[from + 1] >= 0x30 && s[from + 1] <= 0x39 { lastUnderscore = true; cleaned = true }
                else { break }
                from += 1
            }
            return out.isEmpty ? nil : out
        }
        let whole = digits(&i) ?? []
        var fraction: [UInt8] = []
        var hasFraction = false
        if i < end, s[i] == 0x2E {
            i += 1
            hasFraction = true
            fraction = digits(&i) ?? []
        }
        guard !(whole.isEmpty && fraction.isEmpty) else { return nil }
        var exponent = 0
        if i < end, s[i] | 0x20 == 0x65 {
            i += 1
            var negative = false
            if i < end, s[i] == 0x2B || s[i] == 0x2D { negative = s[i] == 0x2D; i += 1 }
            guard let e = digits(&i), e.count < 10 else { return nil }
            exponent = Int(String(decoding: e, as: UTF8.self))! * (negative ? -1 : 1)
            hasFraction = true
        }
        guard i == end else { return nil }
        // normalize: drop trailing zeros of the coefficient; the places are what remains after the point
        var coefficient = whole + fraction
        var places = fraction.count - exponent
        while let last = coefficient.last, last == 0x30, coefficient.count > 1 || places > 0 {
            coefficient.removeLast()
            places -= 1
            if coefficient.isEmpty { break }
        }
        if coefficient.allSatisfy({ $0 == 0x30 }) { places = 0 }
        return (max(0, places), cleaned, hasFraction)
    }

    /// Digits at `f[range]` as a number, or nil.
    static func number(_ f: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Int? {
        guard from < to, to <= f.count else { return nil }
        var v = 0
        for k in from..<to {
            guard f[k] >= 0x30 && f[k] <= 0x39 else { return nil }
            v = v * 10 + Int(f[k] - 0x30)
        }
        return v
    }

    /// strptime's `%m`, `%d`, `%H`, `%M`, `%S`: one or two digits from `i` (advanced past them), or nil.
    static func shortNumber(_ f: UnsafeBufferPointer<UInt8>, _ i: inout Int) -> Int? {
        var digits = 0, v = 0
        while i < f.count, digits < 2, f[i] >= 0x30 && f[i] <= 0x39 { v = v * 10 + Int(f[i] - 0x30); i += 1; digits += 1 }
        return digits == 0 ? nil : v
    }

    /// Python's strptime of `%Y-%m-%d` from `start`: a four-digit year, a month and a day of one or two digits that
    /// make a real date. Returns where the date ends.
    static func dateEnd(_ f: UnsafeBufferPointer<UInt8>, from start: Int = 0) -> Int? {
        guard f.count >= start + 8, let year = number(f, start, start + 4), f[start + 4] == 0x2D else { return nil }
        var i = start + 5
        guard let month = shortNumber(f, &i), (1...12).contains(month), i < f.count, f[i] == 0x2D else { return nil }
        i += 1
        guard let day = shortNumber(f, &i), day >= 1 else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard day <= days, year >= 1 else { return nil }
        return i
    }

    static func isDate(_ f: UnsafeBufferPointer<UInt8>) -> Bool { dateEnd(f) == f.count }

    /// `%Y-%m-%d %H:%M:%S`: one space, then hours, minutes and seconds of one or two digits.
    static func isDatetime(_ f: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let d = dateEnd(f), d < f.count, f[d] == 0x20 else { return false }
        var i = d + 1
        var parts: [Int] = []
        while parts.count < 3 {
            guard let v = shortNumber(f, &i) else { return false }
            parts.append(v)
            if parts.count < 3 { guard i < f.count, f[i] == 0x3A else { return false }; i += 1 }
        }
        return i == f.count && parts[0] <= 23 && parts[1] <= 59 && parts[2] <= 61
    }

    /// isodate's parse_datetime, for the forms seeds use: `YYYY-MM-DDThh:mm[:ss[.f]]` with an optional `Z` or
    /// `±hh[:mm]`.
    static func isISODatetime(_ f: UnsafeBufferPointer<UInt8>) -> Bool {
        guard f.count >= 16, number(f, 0, 4) != nil, f[4] == 0x2D, let month = number(f, 5, 7), f[7] == 0x2D, let day = number(f, 8, 10),
              (1...12).contains(month), (1...31).contains(day), f[10] == 0x54,
              let h = number(f, 11, 13), f[13] == 0x3A, let m = number(f, 14, 16), h <= 24, m <= 59 else { return false }
        var i = 16
        if i < f.count, f[i] == 0x3A {
            guard let s = number(f, i + 1, i + 3), s <= 60 else { return false }
            i += 3
            if i < f.count, f[i] == 0x2E || f[i] == 0x2C {
                i += 1
                let from = i
                while i < f.count, f[i] >= 0x30 && f[i] <= 0x39 { i += 1 }
                guard i > from else { return false }
            }
        }
        if i == f.count { return true }
        if f[i] == 0x5A { return i + 1 == f.count }
        guard f[i] == 0x2B || f[i] == 0x2D, number(f, i + 1, i + 3) != nil else { return false }
        i += 3
        if i == f.count { return true }
        if f[i] == 0x3A { i += 1 }
        return number(f, i, i + 2) != nil && i + 2 == f.count
    }
}
