-- Numeric functions (pymz.expr.library.numbers) compared with PostgreSQL.
select id, round(f8), round(n), round(n, 2), round(n, -1), round(i4), round(f4) from fx order by id
select id, ceil(f8), ceiling(n) as ceiling, floor(f8), floor(n), ceil(i8) from fx order by id
select id, trunc(f8), trunc(n), trunc(n, 3), trunc(n, -2), trunc(i2) from fx order by id
select id, sign(f8), sign(n), sign(i4), sign(f4) from fx order by id
select round(2.5), round(-2.5), round(2.5::float8), round(-2.5::float8), round(0.5::float8), round(1.5::float8)
select round(2.45, 1), round(-0.4), round(1234.5678, -5), round(5, -1), round(-5.5, -1), round(1.5, 40)
select round(-0.4::float8), ceil(-0.5::float8), floor(-0.0::float8), trunc(-0.5::float8), ceil(-0.5), floor(-0.5)
select trunc(-1.99), trunc(1234.5678, -2), trunc(-1234.5678, 2), trunc('NaN'::numeric), round('NaN'::numeric, 2), ceil('Infinity'::numeric)
select id, sqrt(abs(f8)), sqrt(abs(n)), sqrt(abs(i4)), cbrt(f8), cbrt(i8) from fx order by id
select sqrt(2::numeric), sqrt(100::numeric), sqrt(0.0001::numeric), sqrt(2.00000000000000000000000::numeric), sqrt(0.00000002), sqrt(0::numeric)
select sqrt(2::float8), sqrt(-0.0::float8), cbrt(-8::float8), cbrt(2::float8), sqrt('Infinity'::float8), sqrt('NaN'::numeric)
select sqrt(-1::float8)
select sqrt(-1::numeric)
select sqrt(i4) from fx where id = 2
select id, power(f8, 2), power(n, 2), power(i4, 2), power(2, i2) from fx where id <> 5 order by id
select power(2::numeric, 3), power(3::numeric, -1), power(10::numeric, -20), power(1.5, 100), power(2::numeric, 0.5), power(0::numeric, 0)
select power(-2::numeric, 3.0), power(2::numeric, -2.5), power(4::numeric, 0.5), power(1.0001::numeric, 10000), power(2::numeric, 10.5), power(0.5::numeric, 1.5)
select power(2::float8, 0.5), power(-8::float8, 3), power(0::float8, 0), power('NaN'::float8, 0), power(1::float8, 'NaN'), power(-1::float8, 'Infinity'), 2 ^ 10 as caret
select power(10::float8, 400)
select power(10::float8, -400)
select power(-8::float8, 1.0/3)
select power(0::float8, -1)
select power(0::numeric, -1)
select power(-8::numeric, 0.5)
select power(0.5::numeric, 100000.5), power('Infinity'::numeric, -1), power(-1::numeric, 'Infinity'), power('NaN'::numeric, 0)
select id, exp(f8), exp(n), ln(abs(f8) + 1), ln(abs(n) + 1), log(abs(n) + 1), log10(abs(f8) + 1) from fx where id <> 5 order by id
select exp(0::numeric), exp(1.5), exp(-1.5), exp(50::numeric), exp(-100::numeric), exp(1::float8), exp(-700::float8)
select ln(2::numeric), ln(1.0001), ln(1::numeric), ln(0.5), ln(1.1), ln(0.9), ln(12345678901234567890.123456789), ln(1e30)
select log(2::numeric), log(100::numeric), log(2, 1024::numeric), log(0.5, 0.25), log(1.00000001), log(2::numeric, 8), log10(1000::numeric)
select ln(10::float8), log(1000::float8), log10(0.001::float8), log(1e-320::float8), ln(5e-324::float8), ln('Infinity'::float8)
select exp(-1000::float8)
select exp(1000::float8)
select exp(-6001::numeric), exp('-Infinity'::numeric), ln('Infinity'::numeric), log('Infinity'::numeric, 2)
select ln(0::float8)
select ln(-1::float8)
select ln(0::numeric)
select log(-1::numeric)
select log(1::numeric, 10)
select log(0::numeric, 10)
select ln(i4) from fx where id = 4
select id, div(n, 2), div(i4, 3), mod(i4, 3) as mod, mod(i8, 7) as mod, mod(n, 2) as mod, i2 % 2 from fx order by id
select div(7.5, 2), div(-7.5, 2), div(1, 3), mod(-7.5, 2) as mod, mod(7, -3) as mod, mod(-2147483648, -1) as mod, div(12345678901234567890.123456789, 0.001)
select div(1, 0.0)
select mod(5, 0)
select id, gcd(i4, 4), gcd(i8, 6::int8), lcm(i4, 4), gcd(n, 0.5), lcm(i2::int4, 3) from fx order by id
select gcd(12, 18), gcd(-12, 0), lcm(4, 6), lcm(0, 5), gcd(1.5, 0.9), lcm(1.5, 0.9), gcd(0::numeric, 0), lcm(-4, 6)
select gcd(-2147483648, 0)
select lcm(2147483647, 2147483646)
select gcd(-9223372036854775808, 0::int8)
select id, sin(f8), cos(f8), tan(f8), atan(f8), atan2(f8, 2) from fx where id <> 5 order by id
select asin(0.5), acos(0.5), asin(-1), acos(1), atan(1), cot(1), cot(0::float8), atan2(1, -1), atan2(0, -1)
select sind(30), cosd(60), tand(45), cotd(45), asind(0.5), acosd(0.5), atand(1), atan2d(1, 1), sind(180), tand(90), sind(-30), cosd(-120), tand(-45), cotd(270)
select sind(1e10), cosd(720.5), tand(123.25), asind(-0.25), acosd(-0.75), atand(-3), atan2d(-1, -1), cotd(0)
select degrees(1), radians(180), degrees(-0.5), radians(-45), pi(), degrees(pi())
select sinh(1), cosh(1), tanh(1), asinh(1), acosh(1), atanh(0.5), sinh(1000::float8), cosh(-1000::float8), atanh(1::float8), atanh(-1::float8)
select sin('Infinity'::float8)
select asin(2::float8)
select acosd(-1.5)
select acosh(0.5)
select degrees(1e308)
select width_bucket(5.35, 0.024, 10.06, 5), width_bucket(5::float8, 0, 10, 5), width_bucket(10::float8, 0, 10, 5), width_bucket(-1::float8, 10, 0, 5), width_bucket(5::numeric, 10, 0, 3), width_bucket(0.5::float8, 0, 1, 2147483647)
select id, width_bucket(f8, -1, 3, 4), width_bucket(n, -5, 5, 10), width_bucket(i4, 0, 100, 3) from fx order by id
select width_bucket(1, 1, 1, 1)
select width_bucket(1, 0, 2, 0)
select width_bucket('NaN'::float8, 0, 2, 1)
select width_bucket(3::float8, 0, 2, 2147483647)
select width_bucket(1::numeric, 0, 'Infinity', 2)
select factorial(0), factorial(5), factorial(20), factorial(40), min_scale(1.5000), min_scale(0.00), trim_scale(1.5000), trim_scale(-0.0)
select factorial(-1)
select id, round(n, i2) from fx where id < 5 order by id
select round(1.5, 'x')
select sqrt('x')
select trunc(n, 2::int8) from fx
