//! Progress of long verbs on stderr (stdout keeps the one JSON answer scripts read): one line
//! rewritten in place on a terminal, a line per tenth otherwise, so logs stay short.

use std::io::{IsTerminal, Write};

/// After a batch of `seed`: `done` of `total` rows written.
pub fn seeded(done: u32, total: u32) {
    let percent = u64::from(done) * 100 / u64::from(total.max(1));
    let mut err = std::io::stderr();
    if err.is_terminal() {
        let end = if done >= total { "\n" } else { "" };
        let _ = write!(err, "\rseeding: {done} of {total} ({percent} %){end}");
        let _ = err.flush();
    } else if percent_step(done, total) {
        let _ = writeln!(err, "seeding: {done} of {total} ({percent} %)");
    }
}

/// True when `done` is the first count at or past a new tenth of `total`, or the end.
fn percent_step(done: u32, total: u32) -> bool {
    const BATCH: u64 = 10_000;
    let (done, total) = (u64::from(done), u64::from(total.max(1)));
    let tenth = |n: u64| n * 10 / total;
    done >= total || tenth(done) > tenth(done.saturating_sub(BATCH))
}

#[cfg(test)]
mod tests {
    use super::percent_step;

    #[test]
    fn a_line_per_tenth_of_a_million_and_one_at_the_end() {
        let lines: Vec<u32> = (1..=100).map(|b| b * 10_000).filter(|&d| percent_step(d, 1_000_000)).collect();
        assert_eq!(lines, (1..=10).map(|t| t * 100_000).collect::<Vec<_>>());
        assert!(percent_step(2_500, 2_500), "a small seed still ends with a line");
    }
}
