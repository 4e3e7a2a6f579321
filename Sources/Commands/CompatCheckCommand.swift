import ArgumentParser
import Foundation
import Basics
import Compilation
import Contracts
import ProjectLoading
import ProjectModel

/// `strata compat-check`: every construct in a (dbt) project that Strata does not support yet, or reads and
/// ignores, with file:line — all of them, instead of stopping at the first.
struct CompatCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compat-check",
        abstract: "List every construct of the project that Strata does not support yet (macros, configs, Jinja, YAML), with file:line.",
        discussion: "Exit status 1 when something would fail or be skipped, 0 when everything is supported (things read and ignored are listed too).")
    @OptionGroup var global: GlobalOptions

    struct Finding: Hashable {
        enum Level: String { case unsupported = "not supported yet", ignored = "read and ignored" }
        var location: SourceLocation
        var level: Level
        var message: String
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
            // packages that are not installed are findings here, not a reason to stop
            let ws = try Workspace.load(global, loadingPackages: false)
            var findings = Set<Finding>()
            let root = ws.project.root
            // Python models
            for folder in ws.project.paths.models {
                for path in Self.files(under: root + "/" + folder, extension: "py") {
                    findings.insert(Finding(location: SourceLocation(file: folder + "/" + path, line: 1, column: 1), level: .unsupported, message: "Python models"))
                }
            }
            // installed packages' code is checked too; a package that is not installed is a finding
            var packageFiles: [(String, String)] = []
            do {
                let withPackages = try ProjectLoader().load(directory: root)
                packageFiles = withPackages.packages.flatMap { $0.templateFiles.map { ($0.path, $0.text) } }
                    + withPackages.models.filter { $0.package != nil }.map { ($0.path, $0.rawSQL) }
                    + (withPackages.snapshotFiles + withPackages.singularTests).filter { $0.package != nil }.map { ($0.path, $0.text) }
            } catch let e as DiagnosticError {
                for d in e.diagnostics where d.code == DiagnosticCode.packageNotInstalled.rawValue {
                    findings.insert(Self.finding(d))
                }
            } catch {}
            // text patterns in every templated file
            var files = ws.project.models.map { ($0.path, $0.rawSQL) } + ws.project.templateFiles.map { ($0.path, $0.text) } + packageFiles
            files += ws.project.snapshotFiles.map { ($0.path, $0.text) } + ws.project.singularTests.map { ($0.path, $0.text) }
            for (path, text) in files {
                let source = SourceFile(path: path, text: text)
                for (pattern, message) in Self.patterns {
                    guard let re = try? NSRegularExpression(pattern: pattern) else { continue }
                    for m in re.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                        guard let r = Range(m.range, in: text) else { continue }
                        let offset = text.utf8.distance(from: text.utf8.startIndex, to: r.lowerBound.samePosition(in: text.utf8) ?? text.utf8.startIndex)
                        findings.insert(Finding(location: source.location(ofUTF8Offset: offset), level: .unsupported, message: message))
                    }
                }
            }
            // YAML read and ignored
            findings.formUnion(yamlFindings(ws))
            // a full offline compile: everything it reports as unsupported or not applied
            if let connection = try? ws.resolveConnection() {
                do {
                    let options = CompileOptions(target: connection.target, profileName: ws.project.profileName ?? ws.project.name, vars: try ws.cliVars(),
                                                 environment: ws.environment)
                    let compiled = try Compiler(project: ws.project, options: options).compile()
                    for d in compiled.warnings where d.message.contains("not supported") { findings.insert(Self.finding(d)) }
                } catch let e as DiagnosticError {
                    for d in e.diagnostics { findings.insert(Self.finding(d)) }
                } catch let d as Diagnostic {
                    findings.insert(Self.finding(d))
                }
            }
            let sorted = findings.sorted { ($0.location.file, $0.location.line, $0.location.column, $0.message) < ($1.location.file, $1.location.line, $1.location.column, $1.message) }
            for f in sorted { ws.console.print("\(f.location): \(f.level.rawValue): \(f.message)") }
            let unsupported = sorted.filter { $0.level == .unsupported }.count
            let ignored = sorted.count - unsupported
            ws.console.print(sorted.isEmpty ? "Compatible: Strata supports everything this project uses."
                             : "\(unsupported) construct\(unsupported == 1 ? "" : "s") not supported yet, \(ignored) read and ignored (see the compatibility matrix in COMPATIBILITY.md).")
            if unsupported > 0 { throw ReportedFailure(status: .failures) }
        }
    }

    /// A compile diagnostic as a finding: "not supported"/"not applied" messages, and any other error (it would
    /// stop a build just the same).
    static func finding(_ d: Diagnostic) -> Finding {
        let location = d.location ?? SourceLocation(file: "(project)", line: 1, column: 1)
        let ignored = d.severity != .error
        return Finding(location: location, level: ignored ? .ignored : .unsupported, message: "[\(d.code)] \(d.message)")
    }

    func yamlFindings(_ ws: Workspace) -> [Finding] {
        var out: [Finding] = []
        let root = ws.project.root
        let projectFile = ws.project.projectFile
        if let text = try? String(contentsOfFile: root + "/" + projectFile, encoding: .utf8) {
            out += Self.keys(in: text, file: projectFile, depth: 0).filter { Self.ignoredProjectKeys.contains($0.key) }.map {
                Finding(location: $0.location, level: .ignored, message: "'\($0.key)' in \(projectFile)")
            }
        }
        for folder in ws.project.paths.models + ws.project.paths.seeds + ws.project.paths.snapshots {
            for path in Self.files(under: root + "/" + folder, extension: "yml") + Self.files(under: root + "/" + folder, extension: "yaml") {
                let rel = folder + "/" + path
                guard let text = try? String(contentsOfFile: root + "/" + rel, encoding: .utf8) else { continue }
                out += Self.keys(in: text, file: rel, depth: 0).filter { Self.ignoredTopKeys.contains($0.key) }.map {
                    Finding(location: $0.location, level: .ignored, message: "'\($0.key)' in properties YAML")
                }
                out += Self.keys(in: text, file: rel, depth: 4).filter { Self.ignoredModelKeys.contains($0.key) }.map {
                    Finding(location: $0.location, level: .ignored, message: "model property '\($0.key)'")
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
