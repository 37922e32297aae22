-- jsonb operators and functions (pymz.expr.library.jsonb, jsonb_build), compared with PostgreSQL.
-- fx.j holds an object, an array, NULL, a string and a number.
select id, j, j::text as t from fx order by id
select '{"b": 1, "a": [1, 2.50, {"c": null}], "aa": "x\ny", "é": true}'::jsonb as j
select '[1E2, 1e-2, 1.0e1, -0, 12345678901234567890123456789]'::jsonb as j
select id, j -> 'a', j ->> 'a', j -> 'b' -> 2, j -> 'b' ->> 1, j -> 'zz' from fx order by id
select id, j -> 0, j ->> 1, j -> -1, j ->> -5, j -> 7 from fx order by id
select id, j #> '{b,2}', j #>> '{b,2,c}', j #> '{}', j #>> '{}', j #> '{b,-1,c}', j #> '{b,x}' from fx order by id
select id, j #> '{a,NULL}' as n1, j #>> array['b', '0'] as b0, j #> array[]::text[] as whole from fx order by id
select id, jsonb_extract_path(j, 'b', '2'), jsonb_extract_path_text(j, 'b', '2', 'c'), jsonb_extract_path(j, 'a') from fx order by id
select id, j ? 'a', j ? 'two', j ? 'str', j ?| array['d', 'zz'], j ?& array['a', 'b'], j ?| '{x,two}', j ?& '{}' from fx order by id
select id, j @> '{"a": 1}', j @> '{"b": [{"c": "x"}]}', j <@ '{"a": 1, "b": [1, 2, {"c": "x"}], "d": null, "e": 0}', j @> '[1, true]', j @> '"str"', j @> '123' from fx order by id
select '["a"]'::jsonb @> '"a"' as a, '"a"'::jsonb @> '["a"]' as b, '{"a":[1,2]}'::jsonb @> '{"a":1}' as c, '[[1,2]]'::jsonb @> '[1]' as d, '[1,[2]]'::jsonb @> '[[2]]' as e, '1.0'::jsonb @> '1' as f, '[]'::jsonb @> '{}' as g, '{"a":{"b":true}}'::jsonb @> '{"a":{}}' as h
select id, j || '{"z": 0}', j || '[9]', j || '5', '[]'::jsonb || j, j || j from fx order by id
select '{"a":1}'::jsonb || '{"a":2,"b":3}' as a, '{}'::jsonb || '[1]' as b, '1'::jsonb || '2' as c, '"x"'::jsonb || '{"a":1}' as d, '{"a":1}'::jsonb || 'x'::text as e
select '{"a":1}'::jsonb || 1
select '{"a":1}'::jsonb || 'not json'
select id, j - 'a', j - 'two', j - 0, j - -1, j - 9, j - '{a,b}'::text[] from fx where id in (1, 2) order by id
select '1'::jsonb - 'a'
select '{"a":1}'::jsonb - 1
select '"a"'::jsonb - 0
select '{"a":{"b":1,"c":[1,2]}}'::jsonb #- '{a,c,0}' as a, '{"a":1}'::jsonb #- '{}' as b, '[1,2]'::jsonb #- '{-1}' as c, '[1,2]'::jsonb #- '{5}' as d, '{"a":[1]}'::jsonb #- '{a,0,b}' as e, '{}'::jsonb #- '{NULL}' as f
select '[1,2]'::jsonb #- '{a}'
select '1'::jsonb #- '{a}'
select '{"a":1}'::jsonb #- '{a,NULL}'
select id, jsonb_typeof(j), jsonb_strip_nulls(j), jsonb_pretty(j) from fx order by id
select jsonb_pretty('{"a":[1,{"b":null}],"c":{},"d":[]}') as p, jsonb_strip_nulls('{"a":null,"b":[null,{"c":null}],"d":1}') as s, jsonb_typeof('null') as t
select id, jsonb_array_length(j) from fx where id = 2
select jsonb_array_length('[]') as a, jsonb_array_length('[1,[2,3]]') as b
select jsonb_array_length('{}')
select jsonb_array_length('"x"')
select id, to_jsonb(i2), to_jsonb(i8), to_jsonb(f4), to_jsonb(f8), to_jsonb(n), to_jsonb(t), to_jsonb(b) from fx order by id
select id, to_jsonb(d), to_jsonb(ts), to_jsonb(tz), to_jsonb(iv), to_jsonb(j), to_jsonb(ai), to_jsonb(at) from fx order by id
select to_jsonb('nan'::float8) as a, to_jsonb('-inf'::float8) as b, to_jsonb(1e308::float8) as c, to_jsonb(2.50::numeric) as d, to_jsonb('a"b\'::text) as e, to_jsonb(array[]::int[]) as f
select id, jsonb_build_object('id', id, 'i4', i4, 't', t, 'j', j, 'ai', ai, 'f4', f4) from fx order by id
select jsonb_build_object() as a, jsonb_build_array() as b, jsonb_build_object('a', null, 'a', 2) as c, jsonb_build_object(1.5, 1, 1e2, 2, true, 3, '2020-01-01'::date, 4) as d
select id, jsonb_build_array(id, t, j, null, b, d, ts) from fx order by id
select jsonb_build_object(1)
select jsonb_build_object(null, 1)
select jsonb_build_object(array[1], 1)
select id, j::text, j = '{"b": [1, 2, {"c": "x"}], "a": 1, "d": null}', j <> '123', j < '[]', j > 'null', j >= '"str"' from fx order by id
select '1.0'::jsonb = '1' as a, '[]'::jsonb < 'null' as b, '[1]'::jsonb > 'null' as c, '{"a":1}'::jsonb > '[1,2,3]' as d, '"b"'::jsonb > '1' as e, '{"b":1}'::jsonb > '{"a":2}' as f, '[1,"a"]'::jsonb < '[1,2]' as g
select id, (j -> 'a')::int, (j -> 'a')::numeric, (j -> 'a')::float8, (j -> 'a')::bool from fx where id = 1
select '2.5'::jsonb::int as a, '-2.5'::jsonb::int8 as b, '1e2'::jsonb::int2 as c, '1.50'::jsonb::numeric as d, 'true'::jsonb::bool as e, '"x"'::jsonb::text as f, '0.1'::jsonb::float4 as g
select 'null'::jsonb::int
select '"a"'::jsonb::int
select '1'::jsonb::bool
select '[1]'::jsonb::numeric
select '40000'::jsonb::int2
select '{}'::jsonb::date
select 'x'::text::jsonb
select '{"a": [1, 2]}'::text::jsonb -> 'a' as a
select t::jsonb from fx where id = 1
select id, (j)['a'], (j)['b'][2], (j)[1], (j)['b']['x'] from fx order by id
select '{"a"'::jsonb
select id, k.key, k.value from (select * from fx where id = 1) s, jsonb_each(s.j) as k order by key
select id, x, y from (select * from fx where id = 1) f, jsonb_each_text(f.j) as e(x, y) order by x
select * from jsonb_each('{"a":1,"b":[2],"c":null}') order by key
select * from jsonb_each_text('{"a":"x","b":[2],"c":null}') order by key
select * from jsonb_object_keys('{"b":1,"a":2,"aa":3}') k order by k
select * from jsonb_array_elements('[1,"a",null,[2],{"x":1}]') with ordinality as e order by ordinality
select * from jsonb_array_elements_text('[1,"a",null,{"x":1}]') as e(x) order by x
select count(*) from jsonb_array_elements('[]')
select * from jsonb_array_elements('{}')
select * from jsonb_array_elements('1')
select * from jsonb_each('[]')
select * from jsonb_object_keys('1')
select * from jsonb_object_keys('[]')
select s.id, e.value from (select id, j from fx where jsonb_typeof(j) = 'array') s, jsonb_array_elements(s.j) e order by e.value::text
select id, count(e.value) from fx left join lateral jsonb_array_elements(case when jsonb_typeof(j) = 'array' then j end) e on true group by id order by id
select id, e.key from fx left join lateral jsonb_each(case when jsonb_typeof(j) = 'object' then j end) e on e.key <> 'a' order by id, 2
select id, jsonb_object_field(j, 'a'), jsonb_array_element(j, 1), jsonb_object_field_text(j, 'a'), jsonb_array_element_text(j, -1), jsonb_exists(j, 'a'), jsonb_exists_any(j, '{b,x}'), jsonb_delete(j, 'b'), jsonb_contains(j, '{}') from fx where id < 4 order by id
select id, jsonb_typeof(j -> 'b'), coalesce(j ->> 'a', 'none'), upper(j -> 'b' ->> 1), coalesce(j -> 'a' = '1', false), jsonb_array_length(j -> 'b') from fx order by id
select id, (j -> 'b' -> 2 ->> 'c') || '!' as x, j -> 'b' || '[7]' as y, j #>> '{b,0}' = '1' as z from fx order by id
