import ArgumentParser
import Foundation
import Basics

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "init", abstract: "Create a new project folder with a starter a dbt user recognises: a seed, staging and mart models, tests, a contract.")

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
            # The project file (dbt_project.yml works too: Strata reads dbt projects unchanged).
            name: \(name)
            model-paths: [models]
            seed-paths: [seeds]
            test-paths: [tests]
            template-paths: [templates]
            contract-paths: [contracts]

            models:
              \(name):
                staging:
                  +materialized: view
                marts:
                  +materialized: table

            """),
            ("seeds/raw_orders.csv", """
            order_id,customer,amount_cents,status,ordered_at
            1,ada,2500,completed,2024-01-03
            2,grace,1200,completed,2024-01-04
            3,ada,800,returned,2024-01-09
            4,linus,4300,completed,2024-01-11
            5,grace,990,placed,2024-01-15

            """),
            ("models/staging/stg_orders.sql", """
            -- A staging model: one clean row per order, read from the seed (replace it with a source of yours).
            select
                order_id,
                customer,
                {{ cents_to_dollars('amount_cents') }} as amount,
                status,
                ordered_at
            from {{ ref('raw_orders') }}

            """),
            ("models/staging/schema.yml", """
            models:
              - name: stg_orders
                description: One row per order.
                columns:
                  - name: order_id
                    data_tests: [unique, not_null]
                  - name: status
                    data_tests:
                      - accepted_values:
                          values: [placed, completed, returned]

            """),
            ("models/marts/customer_revenue.sql", """
            -- A mart: what each customer spent on completed orders (its shape is promised by contracts/customer_revenue.yml).
            select
                customer,
                count(*)::integer as orders,
                sum(amount)::numeric(12,2) as revenue
            from {{ ref('stg_orders') }}
            where status = 'completed'
            group by customer

            """),
            ("models/marts/schema.yml", """
            models:
              - name: customer_revenue
                description: Revenue per customer from completed orders.
                columns:
                  - name: customer
                    data_tests: [unique, not_null]

            """),
            ("tests/revenue_is_positive.sql", """
            -- A singular test: it fails if it returns rows.
            select * from {{ ref('customer_revenue') }} where revenue <= 0

            """),
            ("contracts/customer_revenue.yml", """
            # A data contract: checked before anything is built, enforced by the build, and tested against live data.
            name: customer_revenue
            version: 1.0.0
            owner: analytics
            models: [customer_revenue]
            columns:
              - name: customer
                data_type: text
                constraints: [primary_key]
              - name: orders
                data_type: integer
                nullable: false
              - name: revenue
                data_type: numeric(12,2)
                nullable: false
                constraints:
                  - check: revenue >= 0
            quality:
              - name: has_customers
                row_count: {min: 1}

            """),
            ("templates/macros.sql", """
            {% macro cents_to_dollars(column) -%}
                round(cast({{ column }} as numeric) / 100, 2)
            {%- endmacro %}

            """),
            ("profiles.example.yml", """
            # Without a profile, Strata builds into a private PostgreSQL it starts under .strata/.
            # To use a server of yours, copy this file to profiles.yml (or ~/.strata/profiles.yml) and set the values;
            # secrets come from the environment, never from this file.
            \(name):
              target: dev
              outputs:
                dev:
                  type: postgres
                  host: localhost
                  port: 5432
                  user: "{{ env_var('PGUSER') }}"
                  password: "{{ env_var('PGPASSWORD') }}"
                  dbname: analytics
                  schema: dev
                  threads: 4

            """),
            (".gitignore", "target/\nlogs/\n.strata/\nprofiles.yml\n"),
        ]
        for (path, text) in files {
            let url = URL(fileURLWithPath: name).appendingPathComponent(path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        print("Created \(name)/: a seed, a staging view, a mart table with a contract, and tests. Next: cd \(name) && strata build")
    }
}
