import Foundation
import Basics

/// A CSV file read in one pass over its bytes: header, row count, the line each row starts on, and the
/// PostgreSQL type of each column inferred on the way (no per-field strings are made, so a million rows stay cheap).
/// Rows themselves are kept only when asked (`keepRows`), for tests and small files.
public struct CSVTable: Sendable {
    public var header: [String]
    /// Rows as text (nil for an empty unquoted field), only with `keepRows`.
    public var rows: [[String?]]
    public var rowCount: Int
    /// Rows that do not start on the line after the previous row (after a quoted newline or a blank line), with
    /// their 1-based line: `line(ofRow:)` derives every other row's line, so memory does not grow with the file.
    var rowLines: [(row: Int, line: Int)]
    /// Byte offset in the file where the first data row begins.
    public var dataOffset: Int
    /// The line the data rows start on.
    var dataLine = 2
    var candidates: [UInt8]
    var sawValue: [Bool]
    /// dbt-postgres's inference, observed on the same pass when asked for (`dbtTypes`).
    var dbt: DbtSeedTypes? = nil

    // candidate type bits
    static let integer: UInt8 = 1, bigint: UInt8 = 2, numeric: UInt8 = 4, boolean: UInt8 = 8, date: UInt8 = 16, timestamp: UInt8 = 32
    static let order: [(UInt8, String)] = [(integer, "integer"), (bigint, "bigint"), (numeric, "numeric"), (boolean, "boolean"), (date, "date"), (timestamp, "timestamp")]

    /// RFC 4180 parsing: quoted fields, doubled quotes, CRLF; ragged rows and bad quoting are located errors.
    public static func parse(_ bytes: [UInt8], path: String, delimiter: UInt8 = UInt8(ascii: ","), keepRows: Bool = false) throws -> CSVTable {
        try bytes.withUnsafeBufferPointer { try parse($0, path: path, delimiter: delimiter, keepRows: keepRows) }
    }

    /// The file line where data row `row` (1-based) starts.
    public func line(ofRow row: Int) -> Int {
        // the last recorded row at or before `row`, then one line per row after it
        var lo = 0, hi = rowLines.count
        while lo < hi { let mid = (lo + hi) / 2; if rowLines[mid].row <= row { lo = mid + 1 } else { hi = mid } }
        guard lo > 0 else { return dataLine + row - 1 }
        let (r, l) = rowLines[lo - 1]
        return l + (row - r)
    }

    /// `release(offset)`: the reader is done with the bytes before `offset` (a mapped file may drop those pages).
    static func parse(_ b: UnsafeBufferPointer<UInt8>, path: String, delimiter: UInt8, keepRows: Bool, dbtTypes: Bool = false,
                      release: ((Int) -> Void)? = nil) throws -> CSVTable {
        if let bad = firstInvalidUTF8(b, release: release) {
            var line = 1, col = 1
            for i in 0..<bad { if b[i] == 0x0A { line += 1; col = 1 } else if b[i] & 0xC0 != 0x80 { col += 1 } }
            throw Diagnostic(code: .invalidUTF8, "\(path) is not valid UTF-8 text", at: SourceLocation(file: path, line: line, column: col))
        }
        var table = CSVTable(header: [], rows: [], rowCount: 0, rowLines: [], dataOffset: b.count, candidates: [], sawValue: [])
        var released = 0
        var i = 0, line = 1
        var fieldIndex = 0
        var record: [String?] = []
        var headerDone = false
        var recordLine = 1
        let n = b.count
        func error(_ code: DiagnosticCode, _ message: String, _ line: Int, _ column: Int) -> Diagnostic {
            Diagnostic(code: code, "\(path): \(message)", at: SourceLocation(file: path, line: line, column: column))
        }
        while i < n {
            // one field
            let fieldStart = i
            var start = i, end = i
            var quoted = false, hasEscapedQuote = false
            if b[i] == 0x22 {
                quoted = true
                i += 1
                start = i
                while true {
                    guard i < n else { throw error(.invalidCSVQuoting, "a quoted field is never closed", recordLine, 1) }
                    if b[i] == 0x22 {
                        if i + 1 < n, b[i + 1] == 0x22 { hasEscapedQuote = true; i += 2; continue }
                        break
                    }
                    if b[i] == 0x0A { line += 1 }
                    i += 1
                }
                end = i
                i += 1
                if i < n, b[i] != delimiter, b[i] != 0x0A, b[i] != 0x0D {
                    throw error(.invalidCSVQuoting, "unexpected character after a closing quote", line, i - fieldStart + 1)
                }
            } else {
                while i < n, b[i] != delimiter, b[i] != 0x0A, b[i] != 0x0D {
                    if b[i] == 0x22 { throw error(.invalidCSVQuoting, "a quote inside an unquoted field", line, i - fieldStart + 1) }
                    i += 1
                }
                end = i
            }
            let empty = end == start && !quoted
            if headerDone, table.dbt != nil { table.dbt!.observe(fieldIndex, UnsafeBufferPointer(rebasing: b[start..<end]), quoted: quoted) }
            if !headerDone || keepRows {
                if empty { record.append(nil) } else {
                    var s = String(decoding: UnsafeBufferPointer(rebasing: b[start..<end]), as: UTF8.self)
                    if hasEscapedQuote { s = s.replacingOccurrences(of: "\"\"", with: "\"") }
                    record.append(s)
                }
            }
            if headerDone, !empty, fieldIndex < table.candidates.count, table.candidates[fieldIndex] != 0 {
                table.sawValue[fieldIndex] = true
                table.candidates[fieldIndex] &= hasEscapedQuote ? 0 : classify(UnsafeBufferPointer(rebasing: b[start..<end]), table.candidates[fieldIndex])
            } else if headerDone, !empty, fieldIndex < table.sawValue.count {
                table.sawValue[fieldIndex] = true
            }
            fieldIndex += 1
            // what ends the field
            if i < n, b[i] == delimiter {
                i += 1
                if i < n { continue }
                // a delimiter ending the file without a newline: one more, empty, field
                if !headerDone || keepRows { record.append(nil) }
                fieldIndex += 1
            }
            let atEnd = i >= n
            if !atEnd, b[i] == 0x0D { i += 1 }
            if i < n, b[i] == 0x0A { i += 1 }
            // end of record
            let blank = fieldIndex == 1 && end == start && !quoted
            if !headerDone {
                for (idx, h) in record.enumerated() {
                    guard let name = h?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
                        throw error(.invalidCSVHeader, "column \(idx + 1) of the header has no name", 1, 1)
                    }
                    if table.header.contains(name) { throw error(.invalidCSVHeader, "column '\(name)' appears twice in the header", 1, 1) }
                    table.header.append(name)
                }
                table.candidates = Array(repeating: 0x3F, count: table.header.count)
                table.sawValue = Array(repeating: false, count: table.header.count)
                if dbtTypes { table.dbt = DbtSeedTypes(count: table.header.count) }
                table.dataOffset = i
                table.dataLine = line + 1
                headerDone = true
            } else if !blank {
                if fieldIndex != table.header.count {
                    throw error(.wrongFieldCount, "row has \(fieldIndex) field\(fieldIndex == 1 ? "" : "s") but the header has \(table.header.count)", recordLine, 1)
                }
                table.rowCount += 1
                // rows are numbered by line; only rows that do not follow their predecessor's line are recorded
                if table.line(ofRow: table.rowCount) != recordLine { table.rowLines.append((table.rowCount, recordLine)) }
                if keepRows { table.rows.append(record) }
                // a mapped file's pages behind the reader are given back every 16 MiB
                if let release, i - released >= 16 << 20 { release(i); released = i }
            }
            record.removeAll(keepingCapacity: true)
            fieldIndex = 0
            line += 1
            recordLine = line
        }
        guard headerDone, !table.header.isEmpty else {
            throw error(.invalidCSVHeader, "the file is empty: a seed needs a header row", 1, 1)
        }
        return table
    }

    /// The types a field's bytes still allow, from `candidates`.
    @inline(__always)
    static func classify(_ f: UnsafeBufferPointer<UInt8>, _ candidates: UInt8) -> UInt8 {
        var out: UInt8 = 0
        let c = f.count
        if candidates & (integer | bigint | numeric) != 0 {
            var j = 0
            if c > 0, f[0] == 0x2D || f[0] == 0x2B { j = 1 }
            var digits = 0, dots = 0, ok = j < c
            while j < c {
                let x = f[j]
                if x >= 0x30 && x <= 0x39 { digits += 1 } else if x == 0x2E { dots += 1 } else { ok = false; break }
                j += 1
            }
            if ok && digits > 0 {
                if dots == 0 {
                    if digits <= 18 {
                        var v: Int64 = 0
                        for k in (f[0] == 0x2D || f[0] == 0x2B ? 1 : 0)..<c { v = v * 10 + Int64(f[k] - 0x30) }
                        if f[0] == 0x2D { v = -v }
                        if v >= Int64(Int32.min) && v <= Int64(Int32.max) { out |= integer }
                        out |= bigint | numeric
                    } else { out |= numeric }
                } else if dots == 1 { out |= numeric }
            }
        }
        if candidates & boolean != 0, c == 4 || c == 5 {
            let lower = f.map { $0 | 0x20 }
            if lower.elementsEqual("true".utf8) || lower.elementsEqual("false".utf8) { out |= boolean }
        }
        if candidates & (date | timestamp) != 0, c >= 10, isDate(f) {
            if c == 10 { out |= date }
            else if c >= 19, f[10] == 0x20 || f[10] == 0x54, f[13] == 0x3A, f[16] == 0x3A,
                    [11, 12, 14, 15, 17, 18].allSatisfy({ f[$0] >= 0x30 && f[$0] <= 0x39 }) { out |= timestamp }
        }
        return out & candidates
    }

    static func isDate(_ f: UnsafeBufferPointer<UInt8>) -> Bool {
        guard f[4] == 0x2D, f[7] == 0x2D, [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy({ f[$0] >= 0x30 && f[$0] <= 0x39 }) else { return false }
        let month = Int(f[5] - 0x30) * 10 + Int(f[6] - 0x30), day = Int(f[8] - 0x30) * 10 + Int(f[9] - 0x30)
        return (1...12).contains(month) && (1...31).contains(day)
    }

    /// The offset of the first byte that is not valid UTF-8, checked in 16 MiB windows (a mapped file's pages are
    /// released behind the check).
    static func firstInvalidUTF8(_ b: UnsafeBufferPointer<UInt8>, release: ((Int) -> Void)? = nil) -> Int? {
        let window = 16 << 20
        var from = 0
        while from < b.count {
            var to = min(b.count, from + window)
            // never split a character: end the window on a lead byte
            while to < b.count, to > from, b[to] & 0xC0 == 0x80 { to -= 1 }
            if let bad = firstInvalidUTF8(in: UnsafeBufferPointer(rebasing: b[from..<to])) { return from + bad }
            release?(to)
            from = to
        }
        return nil
    }

    private static func firstInvalidUTF8(in b: UnsafeBufferPointer<UInt8>) -> Int? {
        // fast path: ASCII
        var i = 0
        while i < b.count, b[i] < 0x80 { i += 1 }
        if i == b.count { return nil }
        if String(validating: UnsafeBufferPointer(rebasing: b[i...]), as: UTF8.self) != nil { return nil }
        while i < b.count {
            let x = b[i]
            let len = x < 0x80 ? 1 : x >> 5 == 0x6 ? 2 : x >> 4 == 0xE ? 3 : x >> 3 == 0x1E ? 4 : 0
            if len == 0 || i + len > b.count || String(validating: UnsafeBufferPointer(rebasing: b[i..<i + len]), as: UTF8.self) == nil { return i }
            i += len
        }
        return nil
    }

    /// PostgreSQL types inferred from the values: integer, bigint, numeric, boolean, date, timestamp, else text.
    public func inferredTypes() -> [String] {
        header.indices.map { c in
            guard sawValue[c] else { return "text" }
            return Self.order.first { candidates[c] & $0.0 != 0 }?.1 ?? "text"
        }
    }
}
