import Foundation
import Basics

/// A parsed CSV file: header, rows of fields (nil for an empty unquoted field), and where each row starts.
public struct CSVTable: Sendable {
    public var header: [String]
    public var rows: [[String?]]
    /// 1-based line of each row in the file.
    public var rowLines: [Int]
    /// Byte offset in the file where the first data row begins.
    public var dataOffset: Int

    /// RFC 4180 parsing: quoted fields, doubled quotes, CRLF; ragged rows and bad quoting are located errors.
    public static func parse(_ bytes: [UInt8], path: String, delimiter: UInt8 = UInt8(ascii: ",")) throws -> CSVTable {
        guard String(validating: bytes[...], as: UTF8.self) != nil else {
            var line = 1, col = 1, i = 0
            // locate the first invalid byte
            while i < bytes.count {
                let b = bytes[i]
                let len = b < 0x80 ? 1 : b >> 5 == 0x6 ? 2 : b >> 4 == 0xE ? 3 : b >> 3 == 0x1E ? 4 : 0
                if len == 0 || i + len > bytes.count || String(validating: bytes[i..<i + len], as: UTF8.self) == nil { break }
                if b == 0x0A { line += 1; col = 1 } else { col += 1 }
                i += len
            }
            throw Diagnostic(code: "R5001", "\(path) is not valid UTF-8 text", at: SourceLocation(file: path, line: line, column: col))
        }
        var records: [[String?]] = []
        var lines: [Int] = []
        var field: [UInt8] = []
        var record: [String?] = []
        var quoted = false, inQuotes = false, wasQuoted = false
        var line = 1, col = 1, recordLine = 1
        var fieldStartCol = 1
        var dataOffset = 0
        var i = 0
        func endField() {
            record.append(field.isEmpty && !wasQuoted ? nil : String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            wasQuoted = false
        }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") { field.append(b); i += 2; col += 2; continue }
                    inQuotes = false
                    i += 1; col += 1
                    if i < bytes.count, bytes[i] != delimiter, bytes[i] != 0x0A, bytes[i] != 0x0D {
                        throw Diagnostic(code: "R5002", "\(path): unexpected character after a closing quote", at: SourceLocation(file: path, line: line, column: col))
                    }
                    continue
                }
                if b == 0x0A { line += 1; col = 1 } else { col += 1 }
                field.append(b)
                i += 1
                continue
            }
            switch b {
            case UInt8(ascii: "\""):
                guard field.isEmpty else {
                    throw Diagnostic(code: "R5002", "\(path): a quote inside an unquoted field", at: SourceLocation(file: path, line: line, column: col))
                }
                inQuotes = true; quoted = true; wasQuoted = true
                i += 1; col += 1
            case delimiter:
                endField()
                i += 1; col += 1; fieldStartCol = col
            case 0x0D, 0x0A:
                endField()
                if records.isEmpty || !(record.count == 1 && record[0] == nil) {
                    records.append(record); lines.append(recordLine)
                }
                record.removeAll(keepingCapacity: true)
                if b == 0x0D, i + 1 < bytes.count, bytes[i + 1] == 0x0A { i += 1 }
                i += 1
                line += 1; col = 1; fieldStartCol = 1
                recordLine = line
                if records.count == 1 && dataOffset == 0 { dataOffset = i }
            default:
                field.append(b)
                i += 1; col += 1
            }
        }
        _ = quoted; _ = fieldStartCol
        if inQuotes {
            throw Diagnostic(code: "R5002", "\(path): a quoted field is never closed", at: SourceLocation(file: path, line: recordLine, column: 1))
        }
        if !field.isEmpty || !record.isEmpty || wasQuoted {
            endField()
            records.append(record); lines.append(recordLine)
        }
        guard let header = records.first else {
            throw Diagnostic(code: "R5003", "\(path) is empty: a seed needs a header row", at: SourceLocation(file: path, line: 1, column: 1))
        }
        var names: [String] = []
        for (idx, h) in header.enumerated() {
            guard let name = h?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
                throw Diagnostic(code: "R5003", "\(path): column \(idx + 1) of the header has no name", at: SourceLocation(file: path, line: 1, column: 1))
            }
            if names.contains(name) {
                throw Diagnostic(code: "R5003", "\(path): column '\(name)' appears twice in the header", at: SourceLocation(file: path, line: 1, column: 1))
            }
            names.append(name)
        }
        let rows = Array(records.dropFirst())
        let rowLines = Array(lines.dropFirst())
        for (r, row) in rows.enumerated() where row.count != names.count {
            throw Diagnostic(code: "R5004", "\(path): row has \(row.count) field\(row.count == 1 ? "" : "s") but the header has \(names.count)",
                             at: SourceLocation(file: path, line: rowLines[r], column: 1))
        }
        return CSVTable(header: names, rows: rows, rowLines: rowLines, dataOffset: records.count > 1 ? dataOffset : bytes.count)
    }

    /// PostgreSQL types inferred from the values: integer, bigint, numeric, boolean, date, timestamp, else text.
    public func inferredTypes() -> [String] {
        header.indices.map { c in
            var candidates: Set<String> = ["integer", "bigint", "numeric", "boolean", "date", "timestamp"]
            var sawValue = false
            for row in rows {
                guard let v = row[c] else { continue }
                sawValue = true
                if candidates.contains("integer") || candidates.contains("bigint") {
                    if let i = Int64(v) {
                        if i < Int64(Int32.min) || i > Int64(Int32.max) { candidates.remove("integer") }
                    } else { candidates.remove("integer"); candidates.remove("bigint") }
                }
                if candidates.contains("numeric"), !Self.isDecimal(v) { candidates.remove("numeric") }
                if candidates.contains("boolean"), !["true", "false"].contains(v.lowercased()) { candidates.remove("boolean") }
                if candidates.contains("date"), !Self.isDate(v) { candidates.remove("date") }
                if candidates.contains("timestamp"), !Self.isTimestamp(v) { candidates.remove("timestamp") }
                if candidates.isEmpty { break }
            }
            if !sawValue { return "text" }
            for t in ["integer", "bigint", "numeric", "boolean", "date", "timestamp"] where candidates.contains(t) { return t }
            return "text"
        }
    }

    static func isDecimal(_ s: String) -> Bool {
        var u = Substring(s)
        if u.hasPrefix("-") || u.hasPrefix("+") { u = u.dropFirst() }
        let parts = u.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), !(parts.count == 2 && parts[0].isEmpty && parts[1].isEmpty) else { return false }
        return parts.allSatisfy { $0.allSatisfy { $0.isASCII && $0.isNumber } } && !u.isEmpty
    }

    static func isDate(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D else { return false }
        let digits = [0, 1, 2, 3, 5, 6, 8, 9].allSatisfy { b[$0] >= 0x30 && b[$0] <= 0x39 }
        guard digits, let m = Int(s.dropFirst(5).prefix(2)), let d = Int(s.suffix(2)) else { return false }
        return (1...12).contains(m) && (1...31).contains(d)
    }

    static func isTimestamp(_ s: String) -> Bool {
        guard s.utf8.count >= 19, isDate(String(s.prefix(10))) else { return false }
        let rest = Array(s.utf8.dropFirst(10))
        guard rest[0] == 0x20 || rest[0] == 0x54, rest[3] == 0x3A, rest[6] == 0x3A else { return false }
        return [1, 2, 4, 5, 7, 8].allSatisfy { rest[$0] >= 0x30 && rest[$0] <= 0x39 }
    }
}
