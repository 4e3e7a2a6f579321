/// dbt's four generic tests as `{% test %}` blocks, rendered as dbt-core's defaults render them on PostgreSQL,
/// and Strata's further built-ins (named and shaped like their dbt_utils counterparts).
/// A project's own `{% test unique(...) %}` replaces the built-in one, as in dbt.
enum BuiltinTests {
    /// dbt's four, byte for byte as dbt-core 1.12.6 renders them on PostgreSQL (its `{% test %}` wrapper around the
    /// dispatched default, whitespace included; checked against dbt's own output by the dbt-utils suite comparison).
    static let dbtTests: String = {
        /// dbt's wrapper: a `{% set %}` line and the dispatched macro's output, each on its own indented line.
        func wrapped(_ name: String, _ parameters: String, _ body: String) -> String {
            "{% test \(name)(\(parameters)) %}\n    \n    \(body)\n{% endtest %}\n"
        }
        return wrapped("unique", "model, column_name",
                       "\n\nselect\n    {{ column_name }} as unique_field,\n    count(*) as n_records\n\nfrom {{ model }}\nwhere {{ column_name }} is not null\ngroup by {{ column_name }}\nhaving count(*) > 1\n\n")
            + wrapped("not_null", "model, column_name",
                      "\n\n\n\nselect {{ '*' if should_store_failures() else column_name }}\nfrom {{ model }}\nwhere {{ column_name }} is null\n\n")
            + wrapped("accepted_values", "model, column_name, values, quote=True",
                      "\n\nwith all_values as (\n\n    select\n        {{ column_name }} as value_field,\n        count(*) as n_records\n\n    from {{ model }}\n    group by {{ column_name }}\n\n)\n\nselect *\nfrom all_values\nwhere value_field not in (\n    "
                      + "{% for value in values %}{% if quote %}'{{ value }}'{% else %}{{ value }}{% endif %}{% if not loop.last %},{% endif %}{% endfor %}\n)\n\n")
            + wrapped("relationships", "model, column_name, to, field",
                      "\n\nwith child as (\n    select {{ column_name }} as from_field\n    from {{ model }}\n    where {{ column_name }} is not null\n),\n\nparent as (\n    select {{ field }} as to_field\n    from {{ to }}\n)\n\nselect\n    from_field\n\nfrom child\nleft join parent\n    on child.from_field = parent.to_field\n\nwhere parent.to_field is null\n\n")
    }()

    static let source = dbtTests + """
    {% test expression_is_true(model, expression, column_name=None) %}
    select *
    from {{ model }}
    where not ({{ column_name ~ ' ' if column_name else '' }}{{ expression }})
    {% endtest %}

    {% test row_count(model, min=None, max=None) %}
    select n_rows
    from (select count(*) as n_rows from {{ model }}) counted
    where {% if min is none and max is none %}false{% else -%}
    {% if min is not none %}n_rows < {{ min }}{% endif %}{% if min is not none and max is not none %} or {% endif %}{% if max is not none %}n_rows > {{ max }}{% endif %}
    {%- endif %}
    {% endtest %}

    {% test unique_combination_of_columns(model, combination_of_columns) %}
    select {{ combination_of_columns | join(', ') }}, count(*) as n_records
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
    {% endtest %}

    {% test not_null_proportion(model, column_name, at_least, at_most=1.0) %}
    select not_null_proportion
    from (
        select sum(case when {{ column_name }} is not null then 1 else 0 end)::numeric / nullif(count(*), 0) as not_null_proportion
        from {{ model }}
    ) proportions
    where not_null_proportion < {{ at_least }} or not_null_proportion > {{ at_most }}
    {% endtest %}

    {% test recency(model, field, datepart, interval) %}
    select most_recent
    from (select max({{ field }}) as most_recent from {{ model }}) latest
    where most_recent is null or most_recent < now() - interval '{{ interval }} {{ datepart }}'
    {% endtest %}
    """
}
