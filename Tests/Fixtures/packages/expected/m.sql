select
  'greet_a(helper_a,helper_root)' as a,
  'greet_b(helper_b)' as b,
  'helper_root' as c,
  'HEY!root' as d,
  'hey...a' as e,
  'x!!b' as f,
  'helper_root' as g,
  1 as id