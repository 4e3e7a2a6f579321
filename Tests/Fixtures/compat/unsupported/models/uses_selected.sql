select 1 as id{% if 'model.p.fine' in selected_resources %}, 2 as two{% endif %}
