//! Progress of long verbs on stderr (stdout keeps the one JSON answer scripts read): one line
//! rewritten in place on a terminal, a line per tenth otherwise, so logs stay short.

use std::io::{IsTerminal, Write};
use std::sync::Mutex;

use flux_krea_core::privacy::{ExportPhase, ExportProgress};

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

/// `privacy export`: the history written, then the image files copied, each phase on a line of
/// its own: rewritten in place on a terminal, one per tenth otherwise (as [`seeded`]).
#[derive(Default)]
pub struct Exporting {
    shown: Mutex<Option<Shown>>,
}

/// The phase last shown, the tenth of it last printed (logs), and whether a terminal line still
/// waits for its end.
#[derive(Clone, Copy)]
struct Shown {
    phase: ExportPhase,
    tenth: u64,
    open: bool,
}

impl Exporting {
    pub fn report(&self, progress: ExportProgress) {
        let mut err = std::io::stderr();
        let terminal = err.is_terminal();
        self.write(progress, terminal, &mut err);
        let _ = err.flush();
    }

    /// Ends a line an export left open (it failed part way), so what follows starts on its own.
    pub fn finish(&self) {
        self.close(&mut std::io::stderr());
    }

    fn close(&self, out: &mut impl Write) {
        let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = shown.as_mut().filter(|s| s.open) {
            let _ = writeln!(out);
            s.open = false;
        }
    }

    fn write(&self, p: ExportProgress, terminal: bool, out: &mut impl Write) {
        if p.total == 0 {
            return; // nothing to count in this phase (an empty history, no image files)
        }
        let (label, unit) = match p.phase {
            ExportPhase::History => ("writing history", "generations"),
            ExportPhase::Files => ("copying images", "files"),
        };
        let (done, total) = (u64::from(p.done), u64::from(p.total));
        let percent = (done * 100 / total).min(100);
        let line = format!("{label}: {} of {} {unit} ({percent} %)", p.done, p.total);
        let mut shown = self.shown.lock().unwrap_or_else(|e| e.into_inner());
        let previous = shown.filter(|s| s.phase == p.phase);
        if terminal {
            // A phase that stopped short of its total (rows came or went meanwhile) keeps its line.
            if previous.is_none() && shown.is_some_and(|s| s.open) {
                let _ = writeln!(out);
            }
            let end = done >= total;
            let _ = write!(out, "\r{line}{}", if end { "\n" } else { "" });
            *shown = Some(Shown { phase: p.phase, tenth: 0, open: !end });
        } else {
            let tenth = (done * 10 / total).min(10);
            if tenth > previous.map_or(0, |s| s.tenth) {
                let _ = writeln!(out, "{line}");
            }
            let tenth = tenth.max(previous.map_or(0, |s| s.tenth));
            *shown = Some(Shown { phase: p.phase, tenth, open: false });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{percent_step, Exporting};
    use flux_krea_core::privacy::{ExportPhase, ExportProgress};

    fn lines(reports: &[(ExportPhase, u32, u32)], terminal: bool) -> String {
        let (exporting, mut out) = (Exporting::default(), Vec::new());
        for &(phase, done, total) in reports {
            exporting.write(ExportProgress { phase, done, total }, terminal, &mut out);
        }
        exporting.close(&mut out);
        String::from_utf8(out).unwrap()
    }

    const EXPORT: [(ExportPhase, u32, u32); 7] = [
        (ExportPhase::History, 0, 1_000),
        (ExportPhase::History, 500, 1_000),
        (ExportPhase::History, 1_000, 1_000),
        (ExportPhase::Files, 0, 12),
        (ExportPhase::Files, 1, 12),
        (ExportPhase::Files, 6, 12),
        (ExportPhase::Files, 12, 12),
    ];

    #[test]
    fn an_export_shows_the_history_then_the_files_each_on_a_line() {
        let terminal = lines(&EXPORT, true);
        let shown: Vec<&str> = terminal.lines().map(|l| l.rsplit('\r').next().unwrap()).collect();
        assert_eq!(
            shown,
            ["writing history: 1000 of 1000 generations (100 %)", "copying images: 12 of 12 files (100 %)"],
            "{terminal:?}"
        );
        assert_eq!(
            lines(&EXPORT, false),
            "writing history: 500 of 1000 generations (50 %)\n\
             writing history: 1000 of 1000 generations (100 %)\n\
             copying images: 6 of 12 files (50 %)\n\
             copying images: 12 of 12 files (100 %)\n"
        );
    }

    #[test]
    fn a_phase_cut_short_keeps_its_line_and_an_empty_one_shows_nothing() {
        let reports = [(ExportPhase::History, 0, 0), (ExportPhase::Files, 0, 3), (ExportPhase::Files, 1, 3)];
        assert_eq!(
            lines(&reports, true),
            "\rcopying images: 0 of 3 files (0 %)\rcopying images: 1 of 3 files (33 %)\n"
        );
        let short = [(ExportPhase::History, 400, 1_000), (ExportPhase::Files, 3, 3)];
        assert_eq!(
            lines(&short, true),
            "\rwriting history: 400 of 1000 generations (40 %)\n\rcopying images: 3 of 3 files (100 %)\n"
        );
    }

    #[test]
    fn a_line_per_tenth_of_a_million_and_one_at_the_end() {
        let lines: Vec<u32> = (1..=100).map(|b| b * 10_000).filter(|&d| percent_step(d, 1_000_000)).collect();
        assert_eq!(lines, (1..=10).map(|t| t * 100_000).collect::<Vec<_>>());
        assert!(percent_step(2_500, 2_500), "a small seed still ends with a line");
    }
}
