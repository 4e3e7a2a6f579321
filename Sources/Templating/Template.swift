import Basics

/// The file a template or macro came from.
public typealias TemplateSource = SourceFile

/// A parsed template: parse once, render many times.
public final class Template: Sendable {
    public let source: TemplateSource
    public let nodes: [Node]

    /// `stripFile`: treat the text as dbt treats a project file, without its leading and trailing whitespace.
    public init(source: TemplateSource, stripFile: Bool = false) throws {
        self.source = source
        let tokens = try Lexer.tokenize(source, stripFile: stripFile)
        var parser = Parser(tokens: tokens, source: source)
        self.nodes = try parser.parseTemplate()
    }

    public convenience init(path: String, text: String, stripFile: Bool = false) throws {
        try self.init(source: SourceFile(path: path, text: text), stripFile: stripFile)
    }

    /// Top-level macro definitions (and dbt `{% test %}` blocks), in file order.
    public var macros: [MacroDefinition] {
        nodes.compactMap { if case .macro(let m) = $0 { return m } else { return nil } }
    }
}
