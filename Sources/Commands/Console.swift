import Foundation
import Synchronization
import Basics
import Compilation
import ProjectModel
import Artifacts
import Materialization

/// Prints diagnostics and progress. Paths in diagnostics are project-relative; shown relative to where the user pointed.
struct Console: Sendable {
    let sink: any OutputSink
    /// Prefix that turns a project-relative path into one the user can open ("" when run from the project).
    let displayPrefix: String
    /// The log sink when the command logs as its flags say (nil when a caller gave its own sink).
    var logSink: LogSink? = nil

    /// A command's result (ls lines, compiled SQL, previews): shown as is, even with --quiet.
    func output(_ text: String) { sink.output(text) }

    /// A result as JSON (`--output json`), without the writer's final newline.
    func output(json value: ConfigValue, pretty: Bool = true) {
        output(JSONWriter.write(value, pretty: pretty).trimmingCharacters(in: .newlines))
    }

    /// How many warnings --warn-error turned into errors so far.
    var promotedWarnings: Int { logSink?.promotedWarnings ?? 0 }

    /// After warnings were reported: stop (exit 2) when --warn-error made one of them an error.
    func stopIfWarningsWereErrors() throws {
        if promotedWarnings > 0 { throw ReportedFailure(status: .usage) }
    }

    /// Whether the logging flags let `print()` in templates show.
    var printing: Bool { logSink?.settings.printing ?? true }

    func displayPath(_ path: String) -> String {
        path.hasPrefix("/") || displayPrefix.isEmpty ? path : displayPrefix + path
    }

    func print(_ line: String) { sink.info(line) }

    /// Prints diagnostics like a compiler: `path:line:col: error[CODE]: message`, the line and a caret.
    func report(_ diagnostics: [Diagnostic]) {
        // Shown paths are relative to the working directory (or absolute), so the renderer can read them as given.
        let renderer = DiagnosticRenderer()
        for d in diagnostics {
            var shown = d
            shown.location = d.location.map(relocate)
            shown.notes = d.notes.map { Diagnostic.Note($0.message, at: $0.location.map(relocate)) }
            sink.diagnostic(shown, rendered: renderer.render(shown))
        }
    }

    private func relocate(_ l: SourceLocation) -> SourceLocation {
        SourceLocation(file: displayPath(l.file), line: l.line, column: l.column)
    }
}

/// Prints one line per finished step: `12 of 40 OK created table analytics.orders ... [0.21s]` (with the node's id,
/// status and time for structured logs); on a terminal, a step still running after two seconds gets dbt's START line.
final class ProgressPrinter: ExecutionObserver, @unchecked Sendable {
    let sink: any OutputSink
    /// Whether stdout is a terminal (START lines for long steps).
    let interactive: Bool
    private let finished = Mutex<Set<NodeID>>([])

    init(sink: any OutputSink, interactive: Bool = false) {
        self.sink = sink
        self.interactive = interactive
    }

    func stepStarted(_ step: PlanStep, index: Int, total: Int) {
        guard interactive else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [self] in
            guard !finished.withLock({ $0.contains(step.id) }) else { return }
            sink.event("NodeStart", "\(index) of \(total) START \(Self.kind(step)) \(step.relation) ... [RUN]", level: .info, data: [("unique_id", step.id.rawValue)])
        }
    }

    func stepFinished(_ step: PlanStep, result: StepResult, index: Int, total: Int) {
        finished.withLock { _ = $0.insert(step.id) }
        let data = [("unique_id", step.id.rawValue), ("status", result.status.rawValue), ("execution_time", String(format: "%.6f", result.executionTime)),
                    ("relation", step.relation.description)]
        func emit(_ line: String) {
            let level: LogLevel = [.error, .fail].contains(result.status) ? .error : result.status == .warn ? .warn : .info
            // result lines are progress: on stdout in text logs whatever their status
            sink.event("LogNodeResult", line, level: level == .error || level == .warn ? .info : level, data: data + [("level", level.rawValue)])
        }
        let kind = Self.kind(step)
        let time = String(format: "%.2fs", result.executionTime)
        var isTest = false
        switch step.action { case .test, .unitTest: isTest = true; default: break }
        if isTest {
            let failures = result.failures.map { " \($0)" } ?? ""
            switch result.status {
            case .pass: emit("\(index) of \(total) PASS \(step.name) ... [\(time)]")
            case .warn: emit("\(index) of \(total) WARN\(failures) \(step.name) ... [\(time)]")
            case .fail: emit("\(index) of \(total) FAIL\(failures) \(step.name) ... [\(time)]")
            case .skipped: emit("\(index) of \(total) SKIP \(step.name) (\(result.message))")
            default: emit("\(index) of \(total) ERROR \(step.name) ... [\(time)]")
            }
            return
        }
        switch result.status {
        case .success, .pass, .warn, .fail:
            var rows = result.rowsAffected.map { ", \($0) row\($0 == 1 ? "" : "s")" } ?? ""
            switch step.action {
            case .loadIncremental, .snapshot, .microbatch: rows = ", " + result.message
            default: break
            }
            var verb = "created"
            switch step.action {
            case .loadSeed, .loadIncremental, .snapshot, .microbatch: verb = "loaded"
            default: break
            }
            let again = result.retried.isEmpty ? "" : ", run again after a \(result.retried.joined(separator: " and a "))"
            emit("\(index) of \(total) OK \(verb) \(kind) \(step.relation) ... [\(time)\(rows)\(again)]")
        case .error:
            var loading = false
            if case .loadSeed = step.action { loading = true }
            emit("\(index) of \(total) ERROR \(loading ? "loading" : "creating") \(kind) \(step.relation) ... [\(time)]")
        case .skipped:
            emit("\(index) of \(total) SKIP \(kind) \(step.relation) (\(result.message))")
        }
    }

    func waitingForLock(schema: String) {
        sink.info("Waiting for another Strata run to release schema '\(schema)' …")
    }

    static func kind(_ step: PlanStep) -> String {
        switch step.action {
        case .buildView: return "view"
        case .buildTable: return "table"
        case .loadSeed: return "seed"
        case .loadIncremental, .microbatch: return "incremental"
        case .test, .unitTest: return "test"
        case .snapshot: return "snapshot"
        case .unsupported: return "model"
        }
    }
}
