import ArgumentParser
import Foundation
import Basics

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a new project folder with example models.")

    @Argument(help: "Project name (letters, digits, underscores); also the folder created.")
    var name: String

    func validate() throws {
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw ValidationError("project name '\(name)' must be letters, digits and underscores")
        }
    }

    func run() throws {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: name) else {
            FileHandle.standardError.write(Data("error[S1501]: '\(name)' already exists; choose another name\n".utf8))
            throw ExitCode(2)
        }
        let files: [(String, String)] = [
            ("strata.yml", """
            name: \(name)
            model-paths: [models]
            seed-paths: [seeds]
            template-paths: [templates]
            contract-paths: [contracts]

            models:
              \(name):
                staging:
                  +materialized: view
                marts:
                  +materialized: table

            """),
            ("models/staging/stg_numbers.sql", """
            -- A staging model: a view over generated rows. Replace it with a source of yours.
            select n as id, n * {{ var('scale', 10) }} as amount
            from generate_series(1, 100) as n

            """),
            ("models/marts/number_summary.sql", """
            select count(*) as n_rows, sum(amount) as total_amount
            from {{ ref('stg_numbers') }}

            """),
            ("templates/macros.sql", """
            {% macro cents_to_dollars(column) -%}
                round(cast({{ column }} as numeric) / 100, 2)
            {%- endmacro %}

            """),
            ("contracts/README.md", "Data contracts for this project's models go here.\n"),
            (".gitignore", "target/\n.strata/\n"),
        ]
        for (path, text) in files {
            let url = URL(fileURLWithPath: name).appendingPathComponent(path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        print("Created \(name)/. Next: cd \(name) && strata run")
    }
}
