-- Date and time functions (pymz.expr.library.times*), compared with PostgreSQL 15 (TimeZone UTC).
-- extract (numeric) and date_part (double precision) on every type
select id, extract(year from d), extract(month from d), extract(day from d), extract(dow from d), extract(isodow from d), extract(doy from d), extract(week from d), extract(isoyear from d), extract(quarter from d) from fx order by id
select id, extract(decade from d), extract(century from d), extract(millennium from d), extract(julian from d), extract(epoch from d) from fx order by id
select id, extract(hour from ts), extract(minute from ts), extract(second from ts), extract(milliseconds from ts), extract(microseconds from ts), extract(epoch from ts), extract(julian from ts) from fx order by id
select id, date_part('hour', ts), date_part('second', ts), date_part('milliseconds', ts), date_part('microseconds', ts), date_part('epoch', ts), date_part('julian', ts), date_part('doy', ts) from fx order by id
select id, date_part('year', d), date_part('hour', d), date_part('epoch', d), date_part('week', d), date_part('dow', d) from fx order by id
select id, extract(epoch from tz), extract(timezone from tz), extract(timezone_hour from tz), extract(timezone_minute from tz), date_part('epoch', tz), date_part('isoyear', tz) from fx order by id
select id, extract(year from iv), extract(month from iv), extract(day from iv), extract(hour from iv), extract(minute from iv), extract(second from iv), extract(epoch from iv), extract(quarter from iv) from fx order by id
select id, date_part('year', iv), date_part('month', iv), date_part('day', iv), date_part('epoch', iv), date_part('milliseconds', iv), date_part('microseconds', iv) from fx order by id
select extract(epoch from interval '-1 year -2 mons +3 days -04:05:06.789'), date_part('epoch', interval '-1 year -2 mons +3 days -04:05:06.789'), extract(quarter from interval '-7 months'), extract(decade from interval '-25 years'), extract(millennium from interval '2500 years'), extract(century from interval '-250 years')
select extract(hour from time '13:14:15.5'), extract(epoch from time '13:14:15.5'), date_part('epoch', time '13:14:15.5'), extract(milliseconds from time '13:14:15.5'), date_part('second', time '13:14:15.5')
select extract(YEARS from timestamp '2020-05-06'), extract(mon from timestamp '2020-05-06'), date_part('Y', timestamp '2020-05-06'), date_part('microsecondsxyz', time '10:00:01.5'), date_part('j', timestamp '2020-01-01 12:00'), extract('isodow' from date '2023-01-01')
select extract(week from date '2021-01-03'), extract(isoyear from date '2021-01-03'), extract(week from date '2020-12-31'), extract(doy from date '2020-12-31'), extract(doy from date '2021-12-31'), extract(century from date '2000-12-31'), extract(century from date '2001-01-01')
select id, date_part(t, ts) from fx where id = 4
select extract(hour from date '2020-01-01')
select extract(foo from date '2020-01-01')
select extract(timezone from timestamp '2020-01-01')
select extract(day from time '10:00')
select extract(week from interval '20 days')
select date_part('timezone', date '2020-01-01')
select extract(today from timestamp '2020-01-01')
-- date_trunc
select id, date_trunc('microseconds', ts), date_trunc('milliseconds', ts), date_trunc('second', ts), date_trunc('minute', ts), date_trunc('hour', ts), date_trunc('day', ts) from fx order by id
select id, date_trunc('week', ts), date_trunc('month', ts), date_trunc('quarter', ts), date_trunc('year', ts), date_trunc('decade', ts), date_trunc('century', ts), date_trunc('millennium', ts) from fx order by id
select id, date_trunc('day', tz), date_trunc('week', tz), date_trunc('month', d), date_trunc('hour', tz, 'Asia/Kolkata'), date_trunc('day', tz, 'America/New_York') from fx order by id
select id, date_trunc('year', iv), date_trunc('month', iv), date_trunc('day', iv), date_trunc('hour', iv), date_trunc('minute', iv) from fx order by id
select date_trunc('millennium', interval '-2500 years 3 mons'), date_trunc('quarter', interval '-1 year -5 mons -3 days'), date_trunc('hour', interval '-1 day -25:59:59.5'), date_trunc('milliseconds', interval '1.23456 seconds')
select date_trunc('day', timestamptz '2021-03-28 12:00+00', 'Europe/Berlin'), date_trunc('day', timestamptz '2021-10-31 12:00+00', 'Europe/Berlin'), date_trunc('hour', timestamptz '2021-10-31 01:30+00', 'Europe/Berlin'), date_trunc('hour', timestamptz '2021-10-31 00:30+00', 'Europe/Berlin')
select date_trunc('week', timestamp '2021-01-03 10:00'), date_trunc('week', timestamp '2024-02-29 23:59:59.999999'), date_trunc('month', timestamp '2024-02-29 23:59'), date_trunc('century', timestamp '2000-12-31'), date_trunc('millennium', timestamp '2000-12-31')
select date_trunc('week', interval '20 days')
select date_trunc('epoch', timestamp '2020-01-01')
select date_trunc('timezone', timestamp '2020-01-01')
select date_trunc('foo', interval '1 day')
-- date_bin
select id, date_bin('15 minutes', ts, timestamp '2001-01-01'), date_bin('1 day 2 hours', tz, timestamptz '2000-01-01 00:00+00') from fx order by id
select date_bin('1 hour', timestamp '2020-01-01 10:30', timestamp '2020-01-01 11:15'), date_bin('1 hour', timestamp '2020-01-01 10:15', timestamp '2020-01-01 11:15'), date_bin('90 seconds', timestamp '2020-02-29 23:59:59', timestamp '1970-01-01')
select date_bin('1 month', timestamp '2020-01-01 10:15', timestamp '2020-01-01 11:15')
select date_bin('0 hour', timestamp '2020-01-01 10:15', timestamp '2020-01-01 11:15')
-- age, justify_*, isfinite
select id, age(ts, timestamp '2000-02-29'), age(timestamp '2000-02-29', ts), age(tz, timestamptz '1999-12-31 23:59:59.5+00'), age(d, date '2020-03-31') from fx order by id
select age(timestamp '2020-03-31', timestamp '2020-02-29 12:00'), age(timestamp '2020-02-29 12:00', timestamp '2020-03-31'), age(timestamp '2021-03-01', timestamp '2020-01-31 23:00'), age(timestamp '2020-01-31 23:00', timestamp '2021-03-01')
select id, justify_days(iv), justify_hours(iv), justify_interval(iv), isfinite(d), isfinite(ts), isfinite(tz), isfinite(iv) from fx order by id
select justify_days(interval '-1 mon 65 days'), justify_hours(interval '1 day -50 hours'), justify_interval(interval '1 mon -1 day 25:00'), justify_interval(interval '-1 mon 1 day -25:00'), justify_interval(interval '1 mon -30 days -1 hour'), justify_hours(interval '-27 hours')
-- constructors and to_timestamp
select make_date(2020, 2, 29), make_time(10, 59, 60), make_time(1, 2, 3.5), make_timestamp(2020, 12, 31, 23, 59, 59.9999995), make_timestamptz(2020, 7, 1, 12, 0, 0), make_timestamptz(2020, 7, 1, 12, 0, 0, 'Europe/Berlin'), make_timestamptz(2020, 1, 1, 0, 0, 0, '+02')
select make_interval(1, 2, 3, 4, 5, 6, 7.5), make_interval(days => 10), make_interval(hours => 1, secs => 0.25), make_interval(), make_interval(-1)
select make_timestamptz(2021, 3, 28, 2, 30, 0, 'Europe/Berlin'), make_timestamptz(2021, 10, 31, 2, 30, 0, 'Europe/Berlin')
select make_date(2021, 2, 29)
select make_date(0, 1, 1)
select make_time(25, 0, 0)
select make_time(10, 0, 60.5)
select make_timestamptz(2020, 1, 1, 0, 0, 0, 'Nowhere')
select to_timestamp(0), to_timestamp(1.5), to_timestamp(-1.5), to_timestamp(1706695872.123456), to_timestamp(946684800.0000005)
select id, to_timestamp(f8) from fx where id <> 5 order by id
select to_timestamp('NaN'::float8)
-- AT TIME ZONE / timezone(), with DST gaps and overlaps
select id, timezone('Europe/Berlin', tz), timezone('Europe/Berlin', ts), tz at time zone 'America/New_York', ts at time zone 'Asia/Kolkata', d at time zone 'UTC' from fx order by id
select timestamp '2021-03-28 02:30' at time zone 'Europe/Berlin', timestamp '2021-10-31 02:30' at time zone 'Europe/Berlin', timestamp '2021-10-31 01:59:59' at time zone 'Europe/Berlin', timestamp '2021-03-28 03:00' at time zone 'Europe/Berlin'
select timestamptz '2021-03-28 00:59:59+00' at time zone 'Europe/Berlin', timestamptz '2021-03-28 01:00:00+00' at time zone 'Europe/Berlin', timestamptz '2021-10-31 00:30+00' at time zone 'Europe/Berlin', timestamptz '2021-10-31 01:30+00' at time zone 'Europe/Berlin'
select timestamp '2020-11-01 01:30' at time zone 'America/New_York', timestamp '2020-03-08 02:30' at time zone 'America/New_York', timestamptz '2020-06-01 12:00+00' at time zone 'australia/lord_howe'
select timezone('+02', timestamptz '2020-01-01 00:00+00'), timezone('-05:30', timestamp '2020-01-01 00:00'), timezone('UTC+3', timestamptz '2020-01-01 00:00+00'), timezone('EST', timestamptz '2020-07-01 00:00+00'), timezone('CET', timestamptz '2020-07-01 00:00+00'), timezone('2', timestamptz '2020-07-01 00:00+00')
select timezone(interval '1 hour 30 minutes', timestamptz '2020-07-01 00:00+00'), timezone(interval '-3 hours', timestamp '2020-07-01 00:00'), timezone('Etc/GMT+2', timestamptz '2020-01-01 00:00+00'), timezone('+02:30:15', timestamptz '2020-01-01 00:00+00')
select timezone('Nowhere', timestamptz '2020-07-01 00:00+00')
select timezone(interval '1 day', timestamptz '2020-07-01 00:00+00')
-- casts from text and between the temporal types
select '2020-01-02'::date, '20200102'::date, '2020-01-02 10:00+02'::date, '2020-01-02T10:00:00Z'::date, 'epoch'::date, ' 2020-1-2 '::date, '2024-02-29'::date
select '2020-01-02 10:00 Europe/Berlin'::timestamp, '2020-07-02 10:00 Europe/Berlin'::timestamptz, '2020-07-02 10:00 CET'::timestamptz, '2020-07-02 10:00 EST'::timestamptz, '2020-07-02T10:00:00.123456789Z'::timestamptz, '2020-07-02 10:00 PM'::timestamptz, '2020-07-02 12:00 AM'::timestamptz
select '2020-01-02 24:00'::timestamp, '2020-01-01 10:00 +02:00'::timestamp, '2020-01-01 10:00-0530'::timestamptz, '2020-01-01 10:00 +5'::timestamptz, 'epoch'::timestamp, 'epoch'::timestamptz
select '10:00 PM'::time, '10:00:00+02'::time, '2020-01-01 10:00'::time, 'allballs'::time, '12:30 am'::time, '23:59:59.999999'::time
select '2020-02-30'::date
select 'abc'::date
select '2020-07-02 10:00 Nowhere/Zone'::timestamptz
select '2020-07-02 13:00 PM'::timestamptz
select '10:60'::time
select 'P1Y2M3DT4H5M6S'::interval, 'P1.5Y'::interval, 'PT1.5S'::interval, 'P0001-02-03T04:05:06'::interval, '1-2'::interval, '3 4:05:06'::interval, '1 year 2 mons 3 days 04:05:06.5'::interval, '-1 day'::interval, '1.5 hours'::interval
select '@ 1 day ago'::interval, '1 day -02:00'::interval, '2 weeks 1.5 days'::interval, 'P1W'::interval, '1 millennium'::interval, 'P1.7M'::interval, 'P-1Y-2M'::interval, '-1-2'::interval, '-3 4:05:06'::interval, '1.04 years'::interval, '3.333333 days'::interval
select '1 day, 2 hours'::interval, '.5 days'::interval, '1:30.5'::interval, '100:00'::interval, '1 y 2 m'::interval, '1.5 2:00'::interval, '- 1 day'::interval, '1d2h'::interval, 'PT'::interval
select interval '1 day ago' as z, interval '-1 day -25:59:59.5' as a, interval 'P1D' as b, interval '1 2:03' as c, interval '2 hours' as e, interval '1' day as f
select '1 day 2 days'::interval
select '3 4'::interval
select '1-13'::interval
select '2147483648 days'::interval
select 'abc'::interval
select id, d::timestamp, d::timestamptz, ts::date, tz::date, ts::time, tz::time, ts::timestamptz, tz::timestamp, iv::time, (ts::time)::interval from fx order by id
select id, ts = tz, ts < tz + interval '1 second', d <= ts, tz > d, date(ts), date(tz) from fx order by id
select id, ts - timestamp '2000-01-01', tz - timestamptz '2024-01-31 10:11:12.5+00', timestamp '1970-01-01' - ts, ts + iv, tz - iv, d + iv from fx order by id
select timestamp '2020-01-31' + interval '1 mon', timestamp '2020-03-31' - interval '1 mon', date '2024-02-29' + interval '1 year', timestamp '2020-01-01' - timestamp '2020-01-02 01:00', date '2020-03-01' - date '2020-02-01'
-- operator functions (interval * / number, time arithmetic)
select id, interval_mul(iv, 2.5), interval_mul(iv, -0.3), interval_div(iv, 3), interval_div(iv, 0.7), mul_d_interval(1.5, iv) from fx order by id
select interval_mul(interval '1 mon', 0.5), interval_mul(interval '1 mon 1 day', 1.33), interval_div(interval '1 year', 7), interval_div(interval '-1 mon -1 day', 3), interval_mul(interval '29 days 23:59:59', 1.5)
select time_pl_interval(time '23:30', interval '1 hour'), time_mi_interval(time '00:30', interval '1 day 1 hour'), time_mi_time(time '01:00', time '23:00'), interval_pl_time(interval '-25 hours', time '10:00'), datetime_pl(date '2020-02-29', time '23:59'), timedate_pl(time '01:02', date '2020-01-01')
select interval_div(interval '1 day', 0)
-- to_char
select id, to_char(ts, 'Day, DD Month YYYY HH12:MI:SS PM'), to_char(tz, 'FMDay FMDDth FMMonth YYYY TZ'), to_char(d, 'YYYY-MM-DD'), to_char(iv, 'DD HH24:MI:SS'), to_char(ts, '') from fx order by id
select to_char(timestamp '2024-01-31 10:11:12.5', 'YYYY-MM-DD HH24:MI:SS.MS US FF3 TZ HH12 am A.M. Day DY dy Mon MON month "lit" FMDD FMMonth DDD D ID W WW IW IYYY CC J Q RM rm SSSS Y,YYY YYY YY Y BC')
select to_char(timestamptz '2024-01-31 10:11:12.5+00', 'TZ tz TZH:TZM OF'), to_char(timestamp '2024-01-01 00:00', 'DDth DDTH FMDDth MMth HH12th SSSSth Jth YYYYth'), to_char(timestamp '2021-01-03 23:59:59.999999', 'IYYY-IW-ID IDDD WW W D')
select to_char(interval '1 year 2 mons 3 days 25:04:05.5', 'YYYY MM DD HH HH12 HH24 MI SS MS US Q CC DDD SSSS AM'), to_char(interval '-1 year -2 mons -3 days -25:04:05.5', 'YYYY MM DD HH HH12 HH24 MI SS MS US')
select to_char(interval '1 day', 'Day')
select id, to_char(i4, '999'), to_char(i4, 'FM9999999999'), to_char(i8, '9999999999999999999'), to_char(f8, '9.99EEEE'), to_char(n, 'FM999999999999999999990.00') from fx order by id
select id, to_char(n, '9999.99'), to_char(f4, '9999.99'), to_char(i2, 'S9999'), to_char(n, 'FM9,999.999'), to_char(i4, '9G999G999G999PR'), to_char(i4, 'RN') from fx order by id
select to_char(123.456, '0000.00'), to_char(-5.5, '999MI'), to_char(-5.5, 'SG999'), to_char(-123, 'FM999PR'), to_char(12, 'FM99th'), to_char(9.995, '9.99EEEE'), to_char(0.5, 'FM9.999'), to_char(1234567, 'FM9,999,999'), to_char(12.5, '99V9'), to_char(3999, 'FMRN')
select to_char(12345.678::float8, '999.99'), to_char(1.5::float4, '9.99'), to_char(-0.0::float8, '9.9'), to_char('nan'::float8, '999.99'), to_char(123, '999."x"'), to_char(5, 'L9')
select to_char(1, 'PR999')
