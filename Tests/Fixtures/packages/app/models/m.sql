select
  '{{ pkg_a.greet() }}' as a,
  '{{ pkg_b.greet() }}' as b,
  '{{ helper() }}' as c,
  '{{ pkg_a.shout("hey") }}' as d,
  '{{ pkg_a.whisper("HEY") }}' as e,
  '{{ pkg_b.loud("x") }}' as f,
  '{{ app.helper() }}' as g,
  1 as id
