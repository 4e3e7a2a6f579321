/// dbt's four generic tests as `{% test %}` blocks, rendered as dbt-core's defaults render them on PostgreSQL,
/// and Strata's further built-ins (named and shaped like their dbt_utils counterparts).
/// A project's own `{% test unique(...) %}` replaces the built-in one, as in dbt.
enum BuiltinTests {
    static let source = """
    {% test unique(model, column_name) %}
    select
        {{ column_name }} as unique_field,
        count(*) as n_records

    from {{ model }}
    where {{ column_name }} is not null
    group by {{ column_name }}
    having count(*) > 1
    {% endtest %}

    {% test not_null(model, column_name) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is null
    {% endtest %}

    {% test accepted_values(model, column_name, values, quote=True) %}
    with all_values as (

        select
            {{ column_name }} as value_field,
            count(*) as n_records

        from {{ model }}
        group by {{ column_name }}

    )

    select *
    from all_values
    where value_field not in (
        {% for value in values -%}
            {% if quote -%}
            '{{ value }}'
            {%- else -%}
            {{ value }}
            {%- endif -%}
            {%- if not loop.last -%},{%- endif %}
        {%- endfor %}
    )
    {% endtest %}

    {% test relationships(model, column_name, to, field) %}
    with child as (
        select {{ column_name }} as from_field
        from {{ model }}
        where {{ column_name }} is not null
    ),

    parent as (
        select {{ field }} as to_field
        from {{ to }}
    )

    select
        from_field

    from child
    left join parent
        on child.from_field = parent.to_field

    where parent.to_field is null
    {% endtest %}

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
