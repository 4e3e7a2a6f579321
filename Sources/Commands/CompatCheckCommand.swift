import ArgumentParser
import Foundation
import Basics
import Compilation
import Contracts
import ProjectLoading
import ProjectModel

/// `strata compat-check`: every construct in a (dbt) project that Strata does not support yet, reads and ignores,
/// or that would stop `strata build` — all of them, in every stage it can reach offline (loading, rendering as dbt
/// parses, the graph, tests, contracts), grouped by construct with counts.
struct CompatCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compat-check",
        abstract: "List every construct of the project that Strata does not support yet, ignores, or would stop a build on, with file:line:col.",
        discussion: """
        Loads the project, renders every model, test and hook as dbt parses them (execute is false; nothing is \
        asked of the database), builds the graph and checks contracts, going on past each problem so that one run \
        lists them all, then groups them by construct with counts. Exit status 1 when `strata build` would stop on \
        something found (an error, or something not supported yet), 0 otherwise (things read and ignored are listed too).
        """)
    @OptionGroup var global: GlobalOptions

    struct Finding: Hashable {
        enum Level: String, Comparable {
            case error = "error", unsupported = "not supported yet", ignored = "read and ignored"
            static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }
            var rank: Int { self == .error ? 0 : self == .unsupported ? 1 : 2 }
        }
        var location: SourceLocation
        var level: Level
        var message: String
        /// What the finding is an instance of, for the summary: the pattern's construct, or the diagnostic's code
        /// and the first name it quotes (`[T2002] 'dbt_utils.date_spine'`).
        var construct: String
    }

    /// Text patterns for constructs that need something Strata lacks, checked in every SQL, macro and snapshot file.
    static let patterns: [(pattern: String, message: String)] = [
        (#"\{%-?\s*materialization\b"#, "custom materializations ({% materialization %})"),
        (#"\{%-?\s*(extends|include|import|from)\b"#, "template inheritance and imports ({% extends/include/import %})"),
        (#"\b(selected_resources|builtins)\b"#, "dbt runtime globals (selected_resources, builtins)"),
        (#"\brun_operation\b"#, "run-operation macros"),
    ]

    /// Properties YAML keys Strata reads without acting on them.
    static let ignoredTopKeys = ["metrics", "semantic_models", "saved_queries", "analyses", "macros"]
    static let ignoredModelKeys = ["deprecation_date", "time_spine", "docs"]
    static let ignoredProjectKeys = ["query-comment", "flags", "restrict-access", "docs-paths",
                                     "asset-paths", "analysis-paths", "metrics", "semantic-models", "saved-queries", "exposures"]

    func run() throws {
        try runReporting {
            // the load goes on past bad YAML, a package that is not installed …: those are findings
            let (ws, loaded) = try Workspace.load(global, loader: ProjectLoader(keepsGoing: true))
            var findings = Set<Finding>()
            for d in loaded { if let f = Self.finding(d) { findings.insert(f) } }
            let project = ws.project
            // Python models
            for folder in project.paths.models {
                for path in Self.files(under: project.root + "/" + folder, extension: "py") {
                    findings.insert(Finding(location: SourceLocation(file: folder + "/" + path, line: 1, column: 1), level: .unsupported,
                                            message: "Python models", construct: "Python models"))
                }
            }
            // text patterns in every templated file, the installed packages' included
            var files = project.models.map { ($0.path, $0.rawSQL) } + project.templateFiles.map { ($0.path, $0.text) }
            files += project.packages.flatMap { $0.templateFiles.map { ($0.path, $0.text) } }
            files += (project.snapshotFiles + project.singularTests).map { ($0.path, $0.text) }
            for (path, text) in files {
                let source = SourceFile(path: path, text: text)
                for (pattern, message) in Self.patterns {
                    guard let re = try? NSRegularExpression(pattern: pattern) else { continue }
                    for m in re.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                        guard let r = Range(m.range, in: text) else { continue }
                        let offset = text.utf8.distance(from: text.utf8.startIndex, to: r.lowerBound.samePosition(in: text.utf8) ?? text.utf8.startIndex)
                        findings.insert(Finding(location: source.location(ofUTF8Offset: offset), level: .unsupported, message: message, construct: message))
                    }
                }
            }
            // YAML read and ignored
            findings.formUnion(yamlFindings(ws))
            // the compile as dbt parses: every file, every stage, past each error
            let target = (try? ConnectionResolver(options: ws.options, project: project, environment: ws.environment).resolve().target) ?? TargetInfo()
            var options = CompileOptions(target: target, profileName: project.profileName ?? project.name, vars: (try? ws.cliVars()) ?? [:],
                                         environment: ws.environment)
            options.parseOnly = true
            options.command = "parse"
            var diagnostics: [Diagnostic] = []
            do {
                diagnostics = try Compiler(project: project, options: options).compile().warnings
            } catch let e as DiagnosticError {
                diagnostics = e.diagnostics
            } catch let d as Diagnostic {
                diagnostics = [d]
            }
            for d in diagnostics { if let f = Self.finding(d) { findings.insert(f) } }
            report(findings, on: ws.console)
            if findings.contains(where: { $0.level != .ignored }) { throw ReportedFailure(status: .failures) }
        }
    }

    /// Every finding in file order, then the summary by construct (most frequent first) and the totals.
    func report(_ findings: Set<Finding>, on console: Console) {
        let sorted = findings.sorted { ($0.location.file, $0.location.line, $0.location.column, $0.message) < ($1.location.file, $1.location.line, $1.location.column, $1.message) }
        func at(_ l: SourceLocation) -> String { "\(console.displayPath(l.file)):\(l.line):\(l.column)" }
        for f in sorted { console.output("\(at(f.location)): \(f.level.rawValue): \(f.message)") }
        guard !sorted.isEmpty else {
            console.output("Compatible: Strata supports everything this project uses.")
            return
        }
        let groups = Dictionary(grouping: sorted) { "\($0.level.rank) \($0.construct)" }.values
            .sorted { ($0[0].level, -$0.count, $0[0].construct) < ($1[0].level, -$1.count, $1[0].construct) }
        console.output("")
        console.output("By construct:")
        let width = String(groups.map(\.count).max() ?? 0).count
        for g in groups {
            let places = g.prefix(3).map { at($0.location) }.joined(separator: ", ") + (g.count > 3 ? ", and \(g.count - 3) more" : "")
            let count = String(repeating: " ", count: width - String(g.count).count) + String(g.count)
            console.output("  \(count) × \(g[0].level.rawValue): \(g[0].construct) (\(places))")
        }
        func count(_ level: Finding.Level) -> Int { sorted.filter { $0.level == level }.count }
        let (errors, unsupported, ignored) = (count(.error), count(.unsupported), count(.ignored))
        func n(_ k: Int, _ what: String) -> String { "\(k) \(what)\(k == 1 ? "" : "s")" }
        let stops = errors + unsupported
        console.output(stops == 0
            ? "\(n(ignored, "construct")) read and ignored; nothing would stop `strata build` (see the compatibility matrix in COMPATIBILITY.md)."
            : "\(n(stops, "problem")) would stop `strata build` (\(errors) error\(errors == 1 ? "" : "s"), \(unsupported) not supported yet), \(ignored) read and ignored, in \(n(groups.count, "construct")) (see the compatibility matrix in COMPATIBILITY.md).")
    }

    /// A diagnostic as a finding: errors stop a build (those about something Strata lacks are "not supported yet");
    /// warnings count when they say something is not supported, ignored or not applied.
    static func finding(_ d: Diagnostic) -> Finding? {
        let location = d.location ?? SourceLocation(file: "(project)", line: 1, column: 1)
        let lacking = d.message.contains("not supported") || d.message.contains("Strata does not")
        let level: Finding.Level
        switch d.severity {
        case .error: level = lacking ? .unsupported : .error
        default:
            guard lacking || d.message.contains("ignored") || d.message.contains("not applied") else { return nil }
            level = .ignored
        }
        return Finding(location: location, level: level, message: "[\(d.code)] \(d.message)", construct: construct(of: d))
    }

    /// `[code] 'first quoted name'`, or the code and the message's start when it quotes nothing.
    static func construct(of d: Diagnostic) -> String {
        let m = d.message
        if let open = m.firstIndex(of: "'"), let close = m[m.index(after: open)...].firstIndex(of: "'"),
           m[m.index(after: open)..<close].contains(where: \.isLetter),
           m[m.index(after: open)..<close].allSatisfy({ $0.isLetter || $0.isNumber || "_.-".contains($0) }) {
            // a call such as ref('b') is named by the call
            var start = open
            while start > m.startIndex, m[m.index(before: start)] == "(" || m[m.index(before: start)].isLetter || m[m.index(before: start)] == "_" || m[m.index(before: start)] == "." {
                start = m.index(before: start)
            }
            var end = m.index(after: close)
            if start < open, m[m.index(before: open)] == "(", let paren = m[end...].firstIndex(of: ")") { end = m.index(after: paren) }
            return "[\(d.code)] \(m[start..<end])"
        }
        return "[\(d.code)] " + (m.count > 60 ? String(m.prefix(57)) + "…" : m)
    }

    func yamlFindings(_ ws: Workspace) -> [Finding] {
        var out: [Finding] = []
        let root = ws.project.root
        let projectFile = ws.project.projectFile
        if let text = try? String(contentsOfFile: root + "/" + projectFile, encoding: .utf8) {
            out += Self.keys(in: text, file: projectFile, depth: 0).filter { Self.ignoredProjectKeys.contains($0.key) }.map {
                Finding(location: $0.location, level: .ignored, message: "'\($0.key)' in \(projectFile)", construct: "'\($0.key)' in \(projectFile)")
            }
        }
        for folder in ws.project.paths.models + ws.project.paths.seeds + ws.project.paths.snapshots {
            for path in Self.files(under: root + "/" + folder, extension: "yml") + Self.files(under: root + "/" + folder, extension: "yaml") {
                let rel = folder + "/" + path
                guard let text = try? String(contentsOfFile: root + "/" + rel, encoding: .utf8) else { continue }
                out += Self.keys(in: text, file: rel, depth: 0).filter { Self.ignoredTopKeys.contains($0.key) }.map {
                    Finding(location: $0.location, level: .ignored, message: "'\($0.key)' in properties YAML", construct: "'\($0.key)' in properties YAML")
                }
                out += Self.keys(in: text, file: rel, depth: 4).filter { Self.ignoredModelKeys.contains($0.key) }.map {
                    Finding(location: $0.location, level: .ignored, message: "model property '\($0.key)'", construct: "model property '\($0.key)'")
                }
            }
        }
        return out
    }

    /// `key:` at an exact indentation (0: top level; 4: the keys of a `- name:` list entry under a top-level key).
    static func keys(in text: String, file: String, depth: Int) -> [(key: String, location: SourceLocation)] {
        var out: [(String, SourceLocation)] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(raw)
            let indent = line.prefix { $0 == " " }.count
            var body = line.dropFirst(indent)
            var column = indent + 1
            if depth > 0, indent == depth - 2, body.hasPrefix("- ") { body = body.dropFirst(2); column += 2 }
            else if indent != depth { continue }
            guard let colon = body.firstIndex(of: ":"), !body.hasPrefix("#") else { continue }
            let key = String(body[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else { continue }
            out.append((key, SourceLocation(file: file, line: i + 1, column: column)))
        }
        return out
    }

    static func files(under dir: String, extension ext: String) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir) else { return [] }
        var out: [String] = []
        while let rel = e.nextObject() as? String {
            if (rel as NSString).pathExtension == ext, !rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { out.append(rel) }
        }
        return out.sorted()
    }
}
