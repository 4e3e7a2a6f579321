import Foundation
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
            sink.error(renderer.render(shown))
        }
    }

    private func relocate(_ l: SourceLocation) -> SourceLocation {
        SourceLocation(file: displayPath(l.file), line: l.line, column: l.column)
    }
}

/// Prints one line per finished step: `12 of 40 OK created table analytics.orders ... [0.21s]`.
struct ProgressPrinter: ExecutionObserver {
    let sink: any OutputSink

    func stepStarted(_ step: PlanStep, index: Int, total: Int) {}

    func stepFinished(_ step: PlanStep, result: StepResult, index: Int, total: Int) {
        let kind = Self.kind(step)
        let time = String(format: "%.2fs", result.executionTime)
        var isTest = false
        switch step.action { case .test, .unitTest: isTest = true; default: break }
        if isTest {
            let failures = result.failures.map { " \($0)" } ?? ""
            switch result.status {
            case .pass: sink.info("\(index) of \(total) PASS \(step.name) ... [\(time)]")
            case .warn: sink.info("\(index) of \(total) WARN\(failures) \(step.name) ... [\(time)]")
            case .fail: sink.info("\(index) of \(total) FAIL\(failures) \(step.name) ... [\(time)]")
            case .skipped: sink.info("\(index) of \(total) SKIP \(step.name) (\(result.message))")
            default: sink.info("\(index) of \(total) ERROR \(step.name) ... [\(time)]")
            }
            return
        }
        switch result.status {
        case .success, .pass, .warn, .fail:
            var rows = result.rowsAffected.map { ", \($0) rows" } ?? ""
            switch step.action {
            case .loadIncremental, .snapshot, .microbatch: rows = ", " + result.message
            default: break
            }
            var verb = "created"
            switch step.action {
            case .loadSeed, .loadIncremental, .snapshot, .microbatch: verb = "loaded"
            default: break
            }
            sink.info("\(index) of \(total) OK \(verb) \(kind) \(step.relation) ... [\(time)\(rows)]")
        case .error:
            var loading = false
            if case .loadSeed = step.action { loading = true }
            sink.info("\(index) of \(total) ERROR \(loading ? "loading" : "creating") \(kind) \(step.relation) ... [\(time)]")
        case .skipped:
            sink.info("\(index) of \(total) SKIP \(kind) \(step.relation) (\(result.message))")
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
