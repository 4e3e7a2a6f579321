import ArgumentParser
import Foundation

/// `strata`: the command-line entry point. Subcommands are thin: they parse flags and call the pipeline.
public struct StrataCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "PostgreSQL-native SQL transformations and data contracts.",
        discussion: "Exit codes: 0 success, 1 a model or test failed, 2 usage, configuration or connection error.",
        version: "0.1.0",
        subcommands: [CompileCommand.self, RunCommand.self, SeedCommand.self, SnapshotCommand.self, TestCommand.self, BuildCommand.self, ListCommand.self, DebugCommand.self, InitCommand.self,
                      CleanCommand.self, DepsCommand.self, ServerCommand.self, ContractsCommand.self, DocsCommand.self, LineageCommand.self, CompatCheckCommand.self, RetryCommand.self, ShowCommand.self, RunOperationCommand.self, ParseCommand.self, CloneCommand.self, SourceCommand.self]
    )
    public init() {}

    /// Parses the arguments and runs the command. A usage error (an unknown flag, a missing value, a bad value)
    /// prints its message and usage and exits 2, as the exit codes say (swift-argument-parser's own is 64);
    /// `--help` and `--version` exit 0.
    public static func run(arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Foundation.exit(0)
        } catch {
            let code = exitCode(for: error)
            if code == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Runs a command body, turning reported failures into exit codes.
func runReporting(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let r as ReportedFailure {
        throw ExitCode(r.status.rawValue)
    }
}
