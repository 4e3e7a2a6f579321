import Basics

/// A lexical token of a template: raw text, tag delimiters, or an expression token inside a tag.
struct Token: Sendable {
    enum Kind: Sendable, Equatable {
        case text            // raw template text (already whitespace-trimmed where `-` asked)
        case exprOpen, exprClose, stmtOpen, stmtClose
        case name, string, integer, float, op
        case eof
    }
    var kind: Kind
    /// UTF-8 offset of the token's first byte in the template source.
    var offset: Int
    /// Token text: decoded string for `.string`, the operator or name, raw text for `.text`.
    var text: String
}

/// Splits template source into tokens. Works on UTF-8 bytes for speed.
struct Lexer {
    let source: SourceFile
    let bytes: [UInt8]
    var pos = 0
    var tokens: [Token] = []
    /// Set by a `-%}`/`-}}`/`-#}`: strip leading whitespace of the next text.
    var stripNextText = false

    /// dbt reads project files with Python's str.strip(): leading and trailing whitespace is not part of the template.
    let stripFile: Bool

    init(source: SourceFile, stripFile: Bool = false) {
        self.source = source
        self.bytes = Array(source.text.utf8)
        self.stripFile = stripFile
    }

    static func tokenize(_ source: SourceFile, stripFile: Bool = false) throws -> [Token] {
        var lexer = Lexer(source: source, stripFile: stripFile)
        try lexer.run()
        return lexer.tokens
    }

    private func error(_ message: String, at offset: Int) -> Diagnostic {
        Diagnostic(code: .templateLexing, message, at: source.location(ofUTF8Offset: offset))
    }

    private func string(_ start: Int, _ end: Int) -> String {
        String(decoding: bytes[start..<end], as: UTF8.self)
    }

    @inline(__always) private func at(_ i: Int) -> UInt8 { i < bytes.count ? bytes[i] : 0 }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
    /// Python's str.strip() set, for ASCII.
    private static func isFileSpace(_ b: UInt8) -> Bool { isSpace(b) || b == 0x0B || b == 0x0C }

    mutating func emitText(_ start: Int, _ end: Int, stripTrailing: Bool) {
        var s = start, e = end
        if stripNextText { while s < e, Lexer.isSpace(bytes[s]) { s += 1 } }
        if stripTrailing { while e > s, Lexer.isSpace(bytes[e - 1]) { e -= 1 } }
        stripNextText = false
        if e > s {
            var text = string(s, e)
            // Jinja2 writes every line ending as "\n"
            if text.utf8.contains(0x0D) { text = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n") }
            tokens.append(Token(kind: .text, offset: s, text: text))
        }
    }

    mutating func run() throws {
        // Like Jinja2 (keep_trailing_newline=False, which dbt keeps): a single trailing newline is not output.
        var end = bytes.count
        if end > 0, bytes[end - 1] == 0x0A { end -= 1; if end > 0, bytes[end - 1] == 0x0D { end -= 1 } }
        else if end > 0, bytes[end - 1] == 0x0D { end -= 1 }
        var textStart = 0
        if stripFile {
            // offsets stay those of the file, so locations are exact
            while end > 0, Lexer.isFileSpace(bytes[end - 1]) { end -= 1 }
            while textStart < end, Lexer.isFileSpace(bytes[textStart]) { textStart += 1 }
            pos = textStart
        }
        while pos < end {
            guard bytes[pos] == UInt8(ascii: "{"), pos + 1 < end else { pos += 1; continue }
            let next = bytes[pos + 1]
            guard next == UInt8(ascii: "{") || next == UInt8(ascii: "%") || next == UInt8(ascii: "#") else { pos += 1; continue }
            let tagStart = pos
            let stripBefore = at(pos + 2) == UInt8(ascii: "-")
            emitText(textStart, tagStart, stripTrailing: stripBefore)
            pos += stripBefore ? 3 : 2
            switch next {
            case UInt8(ascii: "#"):
                try skipComment(from: tagStart)
            case UInt8(ascii: "{"):
                tokens.append(Token(kind: .exprOpen, offset: tagStart, text: "{{"))
                try lexInside(close: UInt8(ascii: "}"), openedAt: tagStart)
            default:
                if try lexRawBlockIfPresent(tagStart: tagStart) { textStart = pos; continue }
                tokens.append(Token(kind: .stmtOpen, offset: tagStart, text: "{%"))
                try lexInside(close: UInt8(ascii: "%"), openedAt: tagStart)
            }
            textStart = pos
        }
        emitText(textStart, max(textStart, end), stripTrailing: false)
        tokens.append(Token(kind: .eof, offset: bytes.count, text: ""))
    }

    private mutating func skipComment(from start: Int) throws {
        while pos + 1 < bytes.count {
            if bytes[pos] == UInt8(ascii: "#"), bytes[pos + 1] == UInt8(ascii: "}") {
                stripNextText = pos > 0 && bytes[pos - 1] == UInt8(ascii: "-")
                pos += 2
                return
            }
            pos += 1
        }
        throw error("unterminated comment: '{#' has no matching '#}'", at: start)
    }

    /// `{% raw %}…{% endraw %}`: everything between is text.
    private mutating func lexRawBlockIfPresent(tagStart: Int) throws -> Bool {
        var p = pos
        while p < bytes.count, Lexer.isSpace(bytes[p]) { p += 1 }
        guard p + 3 <= bytes.count, string(p, p + 3) == "raw" else { return false }
        p += 3
        while p < bytes.count, Lexer.isSpace(bytes[p]) { p += 1 }
        var stripAfterOpen = false
        if at(p) == UInt8(ascii: "-") { stripAfterOpen = true; p += 1 }
        guard at(p) == UInt8(ascii: "%"), at(p + 1) == UInt8(ascii: "}") else { return false }
        let contentStart = p + 2
        var q = contentStart
        while q + 1 < bytes.count {
            if bytes[q] == UInt8(ascii: "{"), bytes[q + 1] == UInt8(ascii: "%") {
                var r = q + 2
                let stripBefore = at(r) == UInt8(ascii: "-")
                if stripBefore { r += 1 }
                while r < bytes.count, Lexer.isSpace(bytes[r]) { r += 1 }
                if r + 6 <= bytes.count, string(r, r + 6) == "endraw" {
                    r += 6
                    while r < bytes.count, Lexer.isSpace(bytes[r]) { r += 1 }
                    var stripAfter = false
                    if at(r) == UInt8(ascii: "-") { stripAfter = true; r += 1 }
                    if at(r) == UInt8(ascii: "%"), at(r + 1) == UInt8(ascii: "}") {
                        stripNextText = stripAfterOpen
                        emitText(contentStart, q, stripTrailing: stripBefore)
                        pos = r + 2
                        stripNextText = stripAfter
                        return true
                    }
                }
            }
            q += 1
        }
        throw error("unterminated raw block: '{% raw %}' has no matching '{% endraw %}'", at: tagStart)
    }

    private mutating func lexInside(close: UInt8, openedAt: Int) throws {
        // Like Jinja2, `}}` inside an open `{` closes the dict, not the tag: `{{ {'a': {'b': 1}} }}`.
        // Inside `(` or `[` it still ends the tag, so `{{ f( }}` reports the missing argument there.
        var open: [UInt8] = []
        var depth: Int { open.last == UInt8(ascii: "{") ? 1 : 0 }
        while true {
            while pos < bytes.count, Lexer.isSpace(bytes[pos]) { pos += 1 }
            guard pos < bytes.count else {
                let what = close == UInt8(ascii: "}") ? "'{{' has no matching '}}'" : "'{%' has no matching '%}'"
                throw error("unterminated tag: \(what)", at: openedAt)
            }
            let b = bytes[pos]
            // closing delimiter, optionally with '-'
            if depth == 0, b == UInt8(ascii: "-"), at(pos + 1) == close, at(pos + 2) == UInt8(ascii: "}") {
                tokens.append(Token(kind: close == UInt8(ascii: "}") ? .exprClose : .stmtClose, offset: pos, text: ""))
                pos += 3
                stripNextText = true
                return
            }
            if depth == 0, b == close, at(pos + 1) == UInt8(ascii: "}") {
                tokens.append(Token(kind: close == UInt8(ascii: "}") ? .exprClose : .stmtClose, offset: pos, text: ""))
                pos += 2
                return
            }
            if b == UInt8(ascii: "(") || b == UInt8(ascii: "[") || b == UInt8(ascii: "{") { open.append(b) }
            if b == UInt8(ascii: ")") || b == UInt8(ascii: "]") || b == UInt8(ascii: "}") { _ = open.popLast() }
            try lexToken()
        }
    }

    private static func isNameStart(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F || b >= 0x80
    }
    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    private mutating func lexToken() throws {
        let start = pos
        let b = bytes[pos]
        if Lexer.isNameStart(b) {
            while pos < bytes.count, Lexer.isNameStart(bytes[pos]) || Lexer.isDigit(bytes[pos]) { pos += 1 }
            tokens.append(Token(kind: .name, offset: start, text: string(start, pos)))
            return
        }
        if Lexer.isDigit(b) {
            while pos < bytes.count, Lexer.isDigit(bytes[pos]) || bytes[pos] == UInt8(ascii: "_") { pos += 1 }
            var isFloat = false
            if at(pos) == UInt8(ascii: "."), Lexer.isDigit(at(pos + 1)) {
                isFloat = true
                pos += 1
                while pos < bytes.count, Lexer.isDigit(bytes[pos]) { pos += 1 }
            }
            if at(pos) == UInt8(ascii: "e") || at(pos) == UInt8(ascii: "E") {
                var p = pos + 1
                if at(p) == UInt8(ascii: "+") || at(p) == UInt8(ascii: "-") { p += 1 }
                if Lexer.isDigit(at(p)) {
                    isFloat = true
                    pos = p
                    while pos < bytes.count, Lexer.isDigit(bytes[pos]) { pos += 1 }
                }
            }
            tokens.append(Token(kind: isFloat ? .float : .integer, offset: start,
                                text: string(start, pos).replacingOccurrences(of: "_", with: "")))
            return
        }
        if b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") {
            tokens.append(Token(kind: .string, offset: start, text: try lexString(quote: b)))
            return
        }
        let two = pos + 1 < bytes.count ? string(pos, pos + 2) : ""
        if ["==", "!=", "<=", ">=", "//", "**"].contains(two) {
            pos += 2
            tokens.append(Token(kind: .op, offset: start, text: two))
            return
        }
        if "+-*/%~<>=()[]{},.:|".utf8.contains(b) {
            pos += 1
            tokens.append(Token(kind: .op, offset: start, text: String(UnicodeScalar(b))))
            return
        }
        let scalarText = String(decoding: bytes[pos..<min(bytes.count, pos + 4)], as: UTF8.self).prefix(1)
        throw error("unexpected character '\(scalarText)' in tag", at: start)
    }

    private mutating func lexString(quote: UInt8) throws -> String {
        let start = pos
        pos += 1
        var out = [UInt8]()
        while pos < bytes.count {
            let c = bytes[pos]
            if c == quote { pos += 1; return String(decoding: out, as: UTF8.self) }
            if c == UInt8(ascii: "\\"), pos + 1 < bytes.count {
                let e = bytes[pos + 1]
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(e)
                default: out.append(c); out.append(e)
                }
                pos += 2
                continue
            }
            out.append(c)
            pos += 1
        }
        throw error("unterminated string literal", at: start)
    }
}
