import Basics

/// Given to built-in functions: where they were called from, and access back into the renderer.
public struct CallSite {
    let renderer: Renderer
    public let offset: Int
    let source: TemplateSource

    public var location: SourceLocation { source.location(ofUTF8Offset: offset) }

    /// A diagnostic located at the call, carrying the macro call chain.
    public func error(_ message: String, code: DiagnosticCode = .templateError) -> Diagnostic {
        renderer.error(message, code: code, at: offset, in: source)
    }

    /// What `name` means where the call was made (locals, the render's globals, macros), as the template would see it.
    public func lookup(_ name: String) -> Value? { renderer.lookup(name) }

    /// Calls a template value (macro or function) with arguments.
    public func call(_ callee: Value, _ arguments: Arguments) throws -> Value {
        try renderer.call(callee, arguments, at: offset, in: source)
    }
}

/// Thrown by `return(x)` inside a macro; caught at the macro's call.
struct MacroReturn: Error {
    let value: Value
}

/// `return(x)` inside a `{% call %}` body, on its way out of `caller()` to the macro or function that called it.
struct CallerReturn: Error {
    let value: Value
}
