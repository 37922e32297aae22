-- Array functions and operators (pymz.expr.library.arrays) and table functions
-- (pymz.expr.tablefuncs), compared with PostgreSQL. fx.ai int4[] and fx.at text[] hold
-- empty arrays, NULL elements and a NULL array.
select id, ai, at, ai::text as ait, at::text as att from fx order by id
select id, ai[1], ai[0], ai[3], ai[4], ai[-1], ai[null], at[2] from fx order by id
select id, ai[1:2], ai[2:], ai[:1], ai[3:2], ai[0:10], at[2:2] from fx order by id
select id, array_length(ai, 1), array_length(ai, 2), cardinality(ai), array_upper(ai, 1), array_lower(ai, 1), array_lower(ai, 2), array_ndims(ai), array_dims(ai) from fx order by id
select id, array_to_string(ai, ','), array_to_string(ai, ',', '*'), array_to_string(at, '|'), array_to_string(at, '|', 'N') from fx order by id
select array_to_string(array[true, false], ',') as a, array_to_string(array[1.5::float4, 2.25], ';') as b, array_to_string(array['2020-01-01'::timestamptz], ',') as c, array_to_string(array[1.5, null], ',', '?') as d
select id, array_position(ai, 5), array_position(ai, null), array_position(at, ''), array_position(ai, 2, 3), array_positions(ai, 2) from fx order by id
select array_position(array[1,2,1], 1, 2) as a, array_position(array[1,2], 1, 5) as b, array_position(array[1,2], 1, -3) as c, array_positions(array[1,null,1], null) as d, array_position(array[1], 1.0) as e
select array_position(array[1], 1, null)
select id, array_cat(ai, array[9]), array_cat(ai, null), array_append(ai, 7), array_prepend(7, ai), array_remove(ai, null), array_remove(ai, 2), array_replace(ai, null, 0) from fx order by id
select array_cat(null::int[], null) as a, array_append(null, 1) as b, array_prepend(1, null) as c, array_remove(null::int[], 1) as d, array_cat(array[1], array[2.5]) as e, array_append(array[1], 2.5) as f
select id, ai @> array[1], ai <@ array[1,2,3,5], ai && array[5,-1], ai @> array[null]::int[], ai @> '{}', '{1,2}' <@ ai, at && array['x', 'a'] from fx order by id
select array[1,2] @> '{1}' as a, '{1}' <@ array[1,2] as b, array[1] || '{2}' as c, array[1] = '{1}' as d, array[1,null] @> array[null]::int[] as e
select array[1] @> array[1::bigint]
select array[1] && array[1.5]
select array[1] || '2'
select id, ai || 4, 4 || ai, ai || ai, ai || null, at || 'z'::text, at || array['q'] from fx order by id
select array[1] || null as a, null || array[1] as b, array[1] || 1.5 as c, array['a'] || '{b,c}' as d, '{x}' || array['a'] as e
select array[1] || array['a']
select id, ai = array[1,2,3], ai <> '{}', ai < array[1,3], ai >= '{-1}', at = array['x'], ai is not distinct from '{}' from fx order by id
select array[1,null] = array[1,null] as a, array[1,null] < array[1,2] as b, array[1,2] < array[1,null] as c, array[1] < array[1,0] as d, array[]::int[] < array[1] as e, array['b'] > array['a','z'] as f, array['NaN'::float8] = array['NaN'::float8] as g
select array[1] = array[1::bigint]
select 1 = any(array[1,null]) as a, 2 = any(array[1,null]) as b, 2 = any(array[]::int[]) as c, null = any(array[]::int[]) as d, null::int = any(array[1]) as e, 1 <> all(array[2,3]) as f, 1 <> all(array[1,null]) as g, 2 <> all(array[1,null]) as h, 1 = all(array[]::int[]) as i, 1 < any(array[0, 5]) as j, 1 = any(null::int[]) as k
select id, i4 = any(ai), 5 = any(ai), -1 >= all(ai), 'a' = any(at), '' = some(at), t <> all(at) from fx order by id
select 1.5 = any(array[1,2]) as a, 1::bigint = any(array[1]) as b, 'a' = any('{a,b}') as c, 1 = any('{1,2}') as d, 'x' = all(array['x','x']) as e
select 1 = any(1)
select string_to_array('a,b,,c', ',') as a, string_to_array('a,b,,c', ',', '') as b, string_to_array('abc', null) as c, string_to_array('abc', '') as d, string_to_array('', ',') as e, string_to_array(null, ',') as f, string_to_array('a,b', ',', 'a') as g, string_to_array('a<>b<>', '<>') as h
select id, string_to_array(t, 'l'), string_to_array(t, ' ', '') from fx order by id
select '{1,2,NULL}'::int[] as a, '{"a b",NULL,"NULL",c}'::text[] as b, '{}'::text[] as c, array[]::int[] as d, '{1.5,2}'::numeric[] as e, ' { 1 , 2 } '::int8[] as f
select '{1,a}'::int[]
select '{1,2'::int[]
select id, ai::text[], ai::int8[], ai::numeric[], at::text::text[] from fx order by id
select array[1.5, 2.5]::int[] as a, array['1', '2']::int[] as b, array[1, 2]::text[] as c, '{1,2}'::text::int[] as d, array[true]::text[] as e
select array[1]::int
select 1::int[]
select at::int[] from fx where id = 1
select * from generate_series(1, 3) order by 1
select * from generate_series(1, 10, 3) as g order by 1
select * from generate_series(5, 1, -2) as g(x) order by 1 desc
select * from generate_series(1, 0)
select * from generate_series(1::int8, 3) with ordinality order by 1
select * from generate_series(1.5, 3) as g order by 1
select * from generate_series(1, 3, 0.5) as g order by 1
select * from generate_series('2020-01-01'::timestamp, '2020-01-03', '1 day') as g order by 1
select * from generate_series('2020-01-31'::timestamp, '2020-05-01', '1 month') as g order by 1
select * from generate_series('2020-01-01'::date, '2020-01-02', '12 hours') as g order by 1
select * from generate_series('2020-01-03'::timestamptz, '2020-01-01', '-1 day') as g order by 1
select * from generate_series(1, 3, 0)
select * from generate_series('2020-01-01'::timestamp, '2020-01-03', '0 day')
select * from generate_series(1, 3, null)
select * from generate_series(1.5::float8, 3)
select id, g from fx, generate_series(1, id) as g where id < 4 order by id, g
select id, g from fx cross join lateral generate_series(i2, i2 + 1) g order by id, g
select * from unnest(array[1, null, 3]) order by 1
select * from unnest(array['a', 'b']) with ordinality as u(x, n) order by 1
select * from unnest(array[1, 2], array['a']) order by 1
select * from unnest(array[]::int[])
select * from unnest('{1,2}')
select id, u from fx, unnest(ai) as u order by id, u
select id, x, n from fx cross join lateral unnest(at) with ordinality as u(x, n) order by id, n
select id, u from fx left join lateral unnest(ai) u on true order by id, u
select id, u from fx left join lateral unnest(ai) u on u > 1 order by id, u
select id, s from fx, generate_subscripts(ai, 1) s order by id, s
select * from generate_subscripts(array[5, 6], 1, true) order by 1
select * from generate_subscripts(array[5, 6], 2)
select * from regexp_split_to_table('a1b22c', '[0-9]+') order by 1
select * from regexp_split_to_table('hello', '') with ordinality order by 2
select * from regexp_split_to_table('aXbxc', 'x', 'i') as r order by 1
select * from regexp_split_to_table('abc', 'x*') order by 1
select count(*) from regexp_split_to_table('', ',')
select * from regexp_split_to_table('a,b', ',', 'g')
select id, w from fx, regexp_split_to_table(t, '\s+') as w where id in (1, 2) order by id, w
select id, sum(u) from fx, unnest(ai) u group by id order by id
select id, arraycontains(ai, array[1]), arrayoverlap(at, '{x,y}'), array_length(ai || ai, 1), cardinality(array_remove(ai || 1, 1)), array_to_string(array_prepend(0, ai), '+') from fx order by id
select id, array[i4, i2], array[t, 'x'] || at, array[d]::text[], (array[f8, f4])[2] from fx order by id
-- min/max over arrays with NULL elements (element-wise order, NULL elements last)
select max(ai), min(ai) from fx
select max(x), min(x) from (values (array[1,null]), (array[1,2]), (null)) v(x)
select b, max(at), min(at) from fx group by b order by b
