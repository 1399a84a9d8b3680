//! The US equity market calendar: weekends and NYSE full-day holidays, by rule.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Why the market is closed on `date`, or `None` on a trading day.
pub fn closed_because(date: NaiveDate) -> Option<&'static str> {
    match date.weekday() {
        Weekday::Sat | Weekday::Sun => return Some("a weekend"),
        _ => {}
    }
    holiday(date)
}

fn holiday(date: NaiveDate) -> Option<&'static str> {
    let y = date.year();
    let fixed = |m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).map(observed);
    let nth = |m: u32, wd: Weekday, n: u8| NaiveDate::from_weekday_of_month_opt(y, m, wd, n);
    let last_monday_of_may =
        (1..=31).rev().filter_map(|d| NaiveDate::from_ymd_opt(y, 5, d)).find(|d| d.weekday() == Weekday::Mon);
    let candidates = [
        // New Year's Day falling on a Saturday is not observed on the Friday before.
        (NaiveDate::from_ymd_opt(y, 1, 1).filter(|d| d.weekday() != Weekday::Sat).map(observed), "New Year's Day"),
        (nth(1, Weekday::Mon, 3), "Martin Luther King Jr. Day"),
        (nth(2, Weekday::Mon, 3), "Washington's Birthday"),
        (easter(y).checked_sub_days(Days::new(2)), "Good Friday"),
        (last_monday_of_may, "Memorial Day"),
        (if y >= 2022 { fixed(6, 19) } else { None }, "Juneteenth"),
        (fixed(7, 4), "Independence Day"),
        (nth(9, Weekday::Mon, 1), "Labor Day"),
        (nth(11, Weekday::Thu, 4), "Thanksgiving Day"),
        (fixed(12, 25), "Christmas Day"),
    ];
    candidates.into_iter().find(|(d, _)| *d == Some(date)).map(|(_, name)| name)
}

/// A holiday on Saturday is observed on Friday, one on Sunday on Monday.
fn observed(d: NaiveDate) -> NaiveDate {
    match d.weekday() {
        Weekday::Sat => d - Days::new(1),
        Weekday::Sun => d + Days::new(1),
        _ => d,
    }
}

/// Easter Sunday in the Gregorian calendar (the anonymous "computus").
fn easter(y: i32) -> NaiveDate {
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(y, month as u32, day as u32).unwrap_or(NaiveDate::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_2026_nyse_holidays_are_closed_and_their_neighbours_open() {
        let holidays = [
            ("2026-01-01", "New Year's Day"),
            ("2026-01-19", "Martin Luther King Jr. Day"),
            ("2026-02-16", "Washington's Birthday"),
            ("2026-04-03", "Good Friday"),
            ("2026-05-25", "Memorial Day"),
            ("2026-06-19", "Juneteenth"),
            ("2026-07-03", "Independence Day"), // 4 July is a Saturday
            ("2026-09-07", "Labor Day"),
            ("2026-11-26", "Thanksgiving Day"),
            ("2026-12-25", "Christmas Day"),
        ];
        for (date, name) in holidays {
            assert_eq!(closed_because(d(date)), Some(name), "{date}");
        }
        for open in ["2026-01-02", "2026-04-02", "2026-07-06", "2026-11-27", "2026-12-24"] {
            assert_eq!(closed_because(d(open)), None, "{open}");
        }
        assert_eq!(closed_because(d("2026-11-28")), Some("a weekend"));
        // 1 January 2022 was a Saturday: not observed on Friday 31 December 2021.
        assert_eq!(closed_because(d("2021-12-31")), None);
        assert_eq!(easter(2025), d("2025-04-20"));
        assert_eq!(easter(2027), d("2027-03-28"));
    }
}
