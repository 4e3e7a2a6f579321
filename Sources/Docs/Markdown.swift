/// A small, safe Markdown renderer for descriptions: headings, paragraphs, lists, fenced and inline code,
/// emphasis, strong and links. All text is HTML-escaped first; links keep only http(s), mailto and relative URLs.
public enum Markdown {
    public static func html(_ text: String) -> String {
        var out: [String] = []
        var paragraph: [String] = []
        var list: (ordered: Bool, items: [String])?
        var code: [String]?
        func flushParagraph() {
            if !paragraph.isEmpty { out.append("<p>" + inline(paragraph.joined(separator: " ")) + "</p>"); paragraph = [] }
        }
        func flushList() {
            if let l = list {
                let tag = l.ordered ? "ol" : "ul"
                out.append("<\(tag)>" + l.items.map { "<li>" + inline($0) + "</li>" }.joined() + "</\(tag)>")
                list = nil
            }
        }
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if var c = code {
                if line.hasPrefix("```") { out.append("<pre><code>" + escape(c.joined(separator: "\n")) + "</code></pre>"); code = nil }
                else { c.append(raw); code = c }
                continue
            }
            if line.hasPrefix("```") { flushParagraph(); flushList(); code = []; continue }
            if line.isEmpty { flushParagraph(); flushList(); continue }
            if let level = heading(line) {
                flushParagraph(); flushList()
                out.append("<h\(level + 2)>" + inline(String(line.dropFirst(level + 1))) + "</h\(level + 2)>")
                continue
            }
            if line.hasPrefix("- ") || line.hasPrefix("* ") {
                flushParagraph()
                if list?.ordered == true { flushList() }
                list = (false, (list?.items ?? []) + [String(line.dropFirst(2))])
                continue
            }
            if let dot = line.firstIndex(of: "."), line[..<dot].allSatisfy(\.isNumber), !line[..<dot].isEmpty, line[line.index(after: dot)...].hasPrefix(" ") {
                flushParagraph()
                if list?.ordered == false { flushList() }
                list = (true, (list?.items ?? []) + [String(line[line.index(dot, offsetBy: 2)...])])
                continue
            }
            flushList()
            paragraph.append(line)
        }
        if let c = code { out.append("<pre><code>" + escape(c.joined(separator: "\n")) + "</code></pre>") }
        flushParagraph(); flushList()
        return out.joined(separator: "\n")
    }

    static func heading(_ line: String) -> Int? {
        let hashes = line.prefix { $0 == "#" }.count
        guard (1...4).contains(hashes), line.dropFirst(hashes).hasPrefix(" ") else { return nil }
        return hashes
    }

    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(ch)
            }
        }
        return out
    }

    /// Inline markup on escaped text: `code`, **strong**, *em* / _em_, [text](url).
    static func inline(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let ch = rest.first {
            if ch == "`", let end = rest.dropFirst().firstIndex(of: "`") {
                out += "<code>" + escape(String(rest[rest.index(after: rest.startIndex)..<end])) + "</code>"
                rest = rest[rest.index(after: end)...]
            } else if rest.hasPrefix("**"), let end = rest.dropFirst(2).range(of: "**") {
                out += "<strong>" + inline(String(rest[rest.index(rest.startIndex, offsetBy: 2)..<end.lowerBound])) + "</strong>"
                rest = rest[end.upperBound...]
            } else if ch == "*" || ch == "_", let end = rest.dropFirst().firstIndex(of: ch), end > rest.index(after: rest.startIndex) {
                out += "<em>" + inline(String(rest[rest.index(after: rest.startIndex)..<end])) + "</em>"
                rest = rest[rest.index(after: end)...]
            } else if ch == "[", let close = rest.firstIndex(of: "]"), rest[close...].dropFirst().first == "(",
                      let paren = rest[close...].firstIndex(of: ")") {
                let label = String(rest[rest.index(after: rest.startIndex)..<close])
                let url = String(rest[rest.index(close, offsetBy: 2)..<paren]).trimmingCharacters(in: .whitespaces)
                let lower = url.lowercased()
                if lower.hasPrefix("http://") || lower.hasPrefix("https://") || lower.hasPrefix("mailto:") || lower.hasPrefix("#") || !lower.contains(":") {
                    out += "<a href=\"\(escape(url))\" rel=\"noopener\">" + inline(label) + "</a>"
                } else {
                    out += inline(label)
                }
                rest = rest[rest.index(after: paren)...]
            } else {
                out += escape(String(ch))
                rest = rest.dropFirst()
            }
        }
        return out
    }
}
