-- Text functions (pymz.expr.library.strings) compared with PostgreSQL.
select id, concat(t, i4, f4, b, NULL, ai), concat(f8, n, d, ts, iv), concat_ws('-', t, i4, NULL, b), concat_ws(NULL, t, 'x') from fx order by id
select concat('a', NULL, 'b'), concat(NULL), concat(1.5::real, true, 'é'), concat_ws(',', 'a', NULL, 'c'), concat_ws('', NULL), concat_ws(',', ARRAY[1, 2], ARRAY['x'])
select id, format('%s|%5s|%-3s|%L|%I', t, i4, b, n, coalesce(t, 'nul')), format('%s %s', NULL, i8), format('%L', t) from fx order by id
select format('%1$s %s %2$s|%-5s|%5s|%*s|%-*s|', 'a', 'b', 'c', 'd', 3, 'e', -3, 'f'), format('%s %L %I %L', NULL, NULL, 'Ab', 'it''s'), format('abc'), format('100%%'), format('%*s|', NULL, 'x')
select format('%s %s', 1)
select format('%z', 1)
select format('%', 1)
select format('%0$s', 1)
select format('%I', NULL)
select format('%*s', 'x', 'y')
select id, left(t, 2), left(t, -2), right(t, 3), right(t, -3), left(t, 0), right(t, 0), left(t, 100) from fx order by id
select id, lpad(t, 8), lpad(t, 8, 'xy'), rpad(t, 8, 'xy'), lpad(t, 3), rpad(t, 2, ''), lpad(t, -1), rpad(t, i2::int, '*') from fx where id <> 5 order by id
select lpad('hi', 5, ''), lpad('hello', 3), rpad('hello', 3, 'x'), lpad('hi', 7, 'ab'), rpad('hi', 7, 'ab'), lpad('€', 3, 'é'), rpad('', 2, 'ab')
select lpad('a', 300000000)
select id, repeat(t, 2), repeat(t, 0), repeat(t, -1), reverse(t), repeat('ab', i2::int) from fx where id < 5 order by id
select repeat('ab', 1073741823)
select repeat('€', 3), reverse('abc€'), reverse(''), repeat('', 5)
select id, split_part(t, 'l', 1), split_part(t, 'l', 2), split_part(t, 'l', -1), split_part(t, 'l', 9), split_part(t, '', 1), split_part(t, '', -2), split_part(t, ' ', -2) from fx order by id
select split_part('a,b,c', ',', -1), split_part('a,b,c', '', 1), split_part('', ',', 1), split_part('a,b', ',', 5), split_part('abc', '', -1), split_part('a,,b', ',', 2), split_part('a::b::c', '::', 3)
select split_part('a,b', ',', 0)
select id, strpos(t, 'l'), strpos(t, ''), strpos(t, 'xyz'), position('o' in t) as position, starts_with(t, 'He'), starts_with(t, ''), t ^@ 'h' as prefix from fx order by id
select strpos('', ''), strpos('abc€d', 'd'), position('€' in 'a€') as position, starts_with('', 'a')
select id, initcap(t), md5(t), octet_length(t), bit_length(t), ascii(t), upper(initcap(t)) from fx order by id
select initcap('hello wORLD-foo bar_baz 1st'), initcap(''), initcap('ABC dEF'), md5(''), md5('€'), octet_length('€é'), bit_length('€'), ascii('€'), ascii('')
select id, translate(t, 'lo', 'x'), translate(t, 'hel', 'HEL'), translate(t, '', 'abc'), translate(t, ' ', '_') from fx order by id
select translate('hello', 'lo', 'x'), translate('aab', 'aa', 'xy'), translate('abc€', '€a', 'Eα')
select chr(65), chr(233), chr(8364), chr(128512), chr(1114111) = chr(1114111) as max, ascii(chr(200))
select chr(0)
select chr(-1)
select chr(1114112)
select chr(55296)
select id, quote_ident(t), quote_literal(t), quote_nullable(t), quote_literal(i4), quote_nullable(f8), quote_literal(b), quote_nullable(d) from fx order by id
select quote_ident('select'), quote_ident('abc'), quote_ident('Abc'), quote_ident('a"b'), quote_ident('_x1'), quote_ident('1a'), quote_ident('name'), quote_ident('int'), quote_ident(''), quote_ident('é')
select quote_literal('a\b'), quote_literal('O''R'), quote_nullable(NULL), quote_literal(42), quote_literal(true), quote_literal(1.5::real), quote_nullable(NULL::int), quote_literal(ARRAY[1, 2])
select id, to_hex(i4), to_hex(i8), to_hex(i2::int) from fx order by id
select to_hex(-1), to_hex(-1::bigint), to_hex(255), to_hex(2147483647::int8 + 1), to_hex(0)
select id, overlay(t placing 'XY' from 2 for 1), overlay(t placing 'XY' from 2), overlay(t placing '' from 1 for 100), overlay(t placing 'Z' from 100) from fx order by id
select overlay('abcdef' placing 'XY' from 2 for -1), overlay('abcdef' placing 'XY' from 10), overlay('abcdef' placing 'XY' from 1 for 0)
select overlay('abcdef' placing 'XY' from 0)
select id, t ~ 'l+' as m, t ~* 'H' as m, t !~ 'x' as m, t !~* 'WORLD' as m, t ~ '^\s' as m, t ~ 'd$' as m from fx order by id
select 'abc' ~ 'a|x' as m, 'abc' ~ '^(a|b)+c$' as m, 'aBc' ~* 'b' as m, 'foo bar' ~ '\mbar\M' as m, 'foobar' ~ '\mbar' as m, 'a.b' ~ 'a\.b' as m, 'axb' ~ 'a\.b' as m
select 'ab1' ~ '^[[:alpha:]]+[[:digit:]]$' as m, 'a b' ~ '[[:space:]]' as m, 'A' ~ '[[:lower:]]' as m, 'A' ~* '[[:lower:]]' as m, 'x_1' ~ '^\w+$' as m, '-' ~ '[[:punct:]]' as m, 'f' ~ '^[[:xdigit:]]$' as m
select 'a{,2}' ~ 'a{,2}' as m, 'aaa' ~ '^a{2,3}$' as m, 'aaaa' ~ '^a{2,3}$' as m, ']a' ~ '^[]a]+$' as m, 'a-' ~ '^[a-]+$' as m, 'a\b' ~ 'a\Bb' as m, ('a' || chr(8) || 'b') ~ 'a\bb' as m
select 'abcabc' ~ '(abc)\1' as m, 'abcabd' ~ '^(abc)\1$' as m, 'ABC' ~ '(?i)abc' as m, 'a+b' ~ '***=a+b' as m, 'foo' ~ '(?=f)foo' as m, 'foo' ~ 'f(?!o)' as m, 'abc' ~ '(?x) a b c  # comment' as m
select ('a' || chr(10) || 'b') ~ 'a.b' as m, ('a' || chr(10) || 'b') ~ '^b' as m, ('a' || chr(10) || 'b') ~ '(?n)^b' as m, ('a' || chr(10) || 'b') ~ '(?n)a.b' as m, ('a' || chr(10) || 'b') ~ '(?p)^b' as m, ('a' || chr(10) || 'b') ~ '(?w)^b$' as m, ('a' || chr(10) || 'b') ~ 'a[^x]b' as m, ('a' || chr(10) || 'b') ~ '(?n)a[^x]b' as m
select 'abc' ~ '(ab'
select 'abc' ~ 'a**'
select 'abc' ~ '*a'
select 'abc' ~ 'a{3,2}'
select 'abc' ~ 'a{256}'
select 'abc' ~ '[b-a]'
select 'abc' ~ '\k'
select 'abc' ~ '[[:nope:]]'
select 'abc' ~ '^*'
select id, regexp_match(t, '(l+)(o)'), regexp_match(t, 'l+'), regexp_match(t, 'L', 'i'), regexp_match(t, '(x)?(o)') from fx order by id
select regexp_match('abc', 'a|ab'), regexp_match('ab', '(a?)(ab)?'), regexp_match('xyz', 'y'), regexp_match('foo', 'foo(bar)?'), regexp_match('XY1234Z', 'Y*?([0-9]{1,3})'), regexp_match('XY1234Z', 'Y*([0-9]{1,3})')
select regexp_match('abc01234xyz', '(.*?)(\d+)(.*)'), regexp_match('abc01234xyz', '(?:(.*?)(\d+)(.*)){1,1}'), regexp_match('aaa', 'a*?'), regexp_match('aaa', 'a+?'), regexp_match('category', 'cat|category'), regexp_match('ab', '(a|ab)(b?)')
select regexp_match('abc', 'b', 'g')
select regexp_match('abc', 'b', 'z')
select id, regexp_replace(t, 'l', 'L'), regexp_replace(t, 'l', 'L', 'g'), regexp_replace(t, '(l+)', '[\1]', 'g'), regexp_replace(t, 'O', '0', 'gi'), regexp_replace(t, '\s+', ' ', 'g') from fx order by id
select regexp_replace('baaac', 'a*', '-', 'g'), regexp_replace('abc', 'x*', '-', 'g'), regexp_replace('abcabc', 'b', 'X'), regexp_replace('abc', 'a|ab', 'X'), regexp_replace('aaa', 'a*?', 'X', 'g'), regexp_replace('aaa', 'a+?', 'X', 'g')
select regexp_replace('abc', 'b', '<\n>'), regexp_replace('abc', 'b', '<\2>'), regexp_replace('abc', 'b', '<\>'), regexp_replace('abc', 'b', '<\0>'), regexp_replace('abc', 'b', 'x\'), regexp_replace('abc', '(b)', '\\\1\&'), regexp_replace('abc', '(((((((((((b)))))))))))', '<\10>')
select regexp_replace('abcbdb', 'b', 'X', 1, 2), regexp_replace('abcbdb', 'b', 'X', 3), regexp_replace('abcbdb', 'b', 'X', 3, 0), regexp_replace('abcBdb', 'b', 'X', 1, 2, 'i'), regexp_replace('abcb', 'b', 'X', 1, 1, 'g'), regexp_replace(('a' || chr(10) || 'b'), '^b', 'X', 'gn')
select regexp_replace('abc', 'b', 'X', 0)
select regexp_replace('abc', 'b', 'X', 1, -1)
select id, regexp_count(t, 'l'), regexp_count(t, ''), regexp_count(t, 'L', 1, 'i'), regexp_count(t, 'l', 4), regexp_instr(t, 'l'), regexp_instr(t, 'l', 1, 2, 1), regexp_substr(t, 'l+.'), regexp_substr(t, '(l)(.)', 1, 1, '', 2) from fx order by id
select regexp_count('ABCABC', 'b', 1, 'i'), regexp_instr('abcabc', 'c', 1, 2), regexp_instr('abc', 'x'), regexp_instr('abc', '(b)(x)?', 1, 1, 0, '', 2), regexp_substr('abcabc', 'c.', 1, 1), regexp_substr('abc', '(b)', 1, 1, '', 3)
select regexp_count('abc', 'b', 0)
select regexp_instr('abc', 'b', 1, 0)
select regexp_instr('abc', 'b', 1, 1, 2)
select regexp_substr('abc', 'b', 1, 1, '', -1)
select regexp_like('abc', 'B', 'g')
select id, regexp_split_to_array(t, '\s+'), regexp_split_to_array(t, ''), regexp_split_to_array(t, 'l*'), regexp_split_to_array(t, 'L', 'i') from fx order by id
select regexp_split_to_array('a,b,,c', ','), regexp_split_to_array('abc', ''), regexp_split_to_array('', ','), regexp_split_to_array(' a b ', '\s*'), regexp_like('abc', 'B', 'i'), regexp_like('abc', 'x')
select id, t similar to '%l%' as s, t similar to 'h%' as s, t not similar to '(H|h)ello%' as s, t similar to '_e%' as s, t similar to '%(o|d)' as s from fx order by id
select 'abc' similar to 'abc' as s, 'abc' similar to 'a' as s, 'abc' similar to '%(b|d)%' as s, 'a.c' similar to 'a.c' as s, 'abc' similar to 'a.c' as s, 'a%c' similar to 'a#%c' escape '#' as s, 'abc' similar to 'a[b-d]c' as s, 'aaa' similar to 'a{2,3}' as s
select 'ab' similar to 'a_' escape '' as s, '$' similar to '$' as s, 'abc' similar to 'a\_c' as s, 'a_c' similar to 'a\_c' as s, 'abc' similar to 'a#"b#"c' escape '#' as s, 'x' similar to 'x' escape NULL as s
select 'abc' similar to 'a' escape 'xy'
select id, t ~ i4::text as m, concat_ws(t, 'a', 'b'), regexp_replace(t, t, 'X') from fx order by id
select t ~ '(' from fx
