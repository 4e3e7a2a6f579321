{{ 'big' if x > 0 else 'small' }} [{{ 'only if' if false }}] {{ 'a' if none else 'b' if 1 else 'c' }}
