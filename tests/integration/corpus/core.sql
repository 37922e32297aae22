-- Scalar queries compared with PostgreSQL by tests/integration/test_sql_vs_postgres.py.
-- One query per line (over the fixture table fx, see pg_compare.py); "--" lines are comments.
-- Queries should fix their row order (ORDER BY id) unless they return one row.
select id, i2 + i4, i4 - i8, i8 * 2, f8 / 2, n * n from fx order by id
select id, i4 / 3, i4 % 3, -i4, abs(i4), abs(n), abs(f8) from fx order by id
select id, upper(t), lower(t), length(t), char_length(t) as char_length, substr(t, 2), substr(t, 2, 3) from fx order by id
select id, substring(t from 2 for 2) as substring, replace(t, 'l', 'L'), trim(t), ltrim(t), rtrim(t), btrim(t, 'h') from fx order by id
select id, t || '!', t like 'h%', t ilike 'H%', coalesce(t, 'none'), nullif(i4, 0) from fx order by id
select id, i4::text, f8::text, n::text, b::text, d::text, ts::text, iv::text from fx order by id
select id, greatest(i2, i4), least(f4, f8), i4 between 0 and 10 from fx order by id
select id, case when i4 > 0 then 'pos' when i4 < 0 then 'neg' else 'zero' end from fx order by id
select id, d + 1, d - 1, ts + interval '1 day', ts - iv, d - date '2000-01-01' from fx order by id
select id, i4 + 1 from fx where i4 < 2147483647 order by id
select i4 + 1 from fx
select i8 * 2 from fx
select 1 / i4 from fx
select f8 * 1e10 from fx
select abs('x')
select nope(1)
-- aggregates
select count(*), count(i4), sum(i4), sum(i8), sum(n), min(t), max(d), avg(i2) from fx
select b, count(*), sum(f8), min(ts), max(tz) from fx group by b order by b
select string_agg(t, ',' order by id), string_agg(t, '-' order by t desc nulls last), array_agg(i4 order by i4 nulls first) from fx
select array_agg(id order by d desc), string_agg(distinct b::text, '/' order by b::text) from fx
select jsonb_object_agg(t, i4) from fx where t is not null
select jsonb_object_agg(t, i4) from fx
select round(var_pop(i2), 10), round(var_samp(i2), 10), round(stddev_pop(i2), 10), round(variance(i4), 10), round(stddev(i4), 10) from fx where id in (1, 2, 4)
select round(variance(f8)::numeric, 6), round(stddev(f4)::numeric, 6) from fx where id < 5
select bool_and(b), bool_or(b), every(b) from fx
select count(distinct b), count(distinct i4 % 2) from fx
