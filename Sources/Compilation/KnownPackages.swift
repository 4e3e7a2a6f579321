import Templating

/// The dbt packages most projects install, with the public macros they are called for, so that a call to one that is
/// not installed says which package it belongs to and how to install it, instead of "undefined" or a did-you-mean
/// to an unrelated name. Names only: what a macro does comes from the package once it is installed.
enum KnownPackages {
    struct Package {
        let name: String
        /// How packages.yml declares it (`package:` of the hub).
        let hub: String
        let macros: [String]
    }

    static let all: [Package] = [
        Package(name: "dbt_utils", hub: "dbt-labs/dbt_utils", macros: [
            "date_spine", "deduplicate", "degrees_to_radians", "generate_series", "generate_surrogate_key", "get_column_values",
            "get_filtered_columns_in_relation", "get_intervals_between", "get_powers_of_two", "get_query_results_as_dict",
            "get_relations_by_pattern", "get_relations_by_prefix", "get_single_value", "get_table_types_sql",
            "get_tables_by_pattern_sql", "get_tables_by_prefix_sql", "get_url_host", "get_url_parameter", "get_url_path", "group_by",
            "haversine_distance", "log_info", "nullcheck", "nullcheck_table", "pivot", "pretty_log_format", "pretty_time",
            "safe_add", "safe_divide", "safe_subtract", "slugify", "star", "union_relations", "unpivot", "width_bucket",
        ]),
        Package(name: "dbt_date", hub: "godatadriven/dbt_date", macros: [
            "convert_timezone", "date_part", "day_name", "day_of_month", "day_of_week", "day_of_year", "from_unixtimestamp",
            "get_base_dates", "get_date_dimension", "get_fiscal_periods", "get_fiscal_year_dates", "iso_week_end",
            "iso_week_of_year", "iso_week_start", "last_month", "last_month_name", "last_month_number", "last_week",
            "month_name", "n_days_ago", "n_days_away", "n_months_ago", "n_months_away", "n_weeks_ago", "n_weeks_away",
            "next_month", "next_month_name", "next_month_number", "next_week", "now", "periods_since", "round_timestamp",
            "this_week", "to_unixtimestamp", "today", "tomorrow", "week_end", "week_of_year", "week_start", "yesterday",
        ]),
        Package(name: "codegen", hub: "dbt-labs/codegen", macros: [
            "create_base_models", "generate_base_model", "generate_model_import_ctes", "generate_model_yaml",
            "generate_source", "generate_unit_test_template",
        ]),
        Package(name: "audit_helper", hub: "dbt-labs/audit_helper", macros: [
            "compare_all_columns", "compare_column_values", "compare_queries", "compare_relation_columns",
            "compare_relations", "compare_row_counts", "compare_which_relation_columns_differ",
            "quick_are_queries_identical", "quick_are_relations_identical",
        ]),
        Package(name: "dbt_expectations", hub: "metaplane/dbt_expectations", macros: []),
    ]

    /// Environment hints for the known packages that are not installed: the package name as a namespace, each
    /// `package.macro`, and each bare macro name (which no other definition shadows, as hints are consulted only
    /// for names that are undefined).
    static func hints(installed: Set<String>) -> [String: String] {
        var hints: [String: String] = [:]
        for p in all where !installed.contains(p.name) {
            let install = "declare it in packages.yml (`- package: \(p.hub)`) and run `strata deps`"
            hints[p.name] = "it is the package \(p.name), which is not installed: \(install)"
            for m in p.macros {
                hints["\(p.name).\(m)"] = "it is a macro of the package \(p.name), which is not installed: \(install)"
                if hints[m] == nil {
                    hints[m] = "it is a macro of the package \(p.name), which is not installed: \(install), then call it as \(p.name).\(m)()"
                }
            }
        }
        return hints
    }
}
