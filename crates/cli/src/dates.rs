//! `history dates`: the months (or one month's days) that hold items, for jumping with `--at`.

use std::process::ExitCode;

use clap::Args;
use flux_krea_core::history::gallery::GalleryQuery;
use flux_krea_core::history::timeline::{parse_local_date, Period};
use flux_krea_core::{Core, Error};

use crate::json::to_json;

#[derive(Args)]
pub struct DatesArgs {
    /// The days of this month (YYYY-MM, local time) instead of the months.
    #[arg(long, value_name = "MONTH")]
    days: Option<String>,
    #[arg(long)]
    model: Option<String>,
    /// Favourites only.
    #[arg(long)]
    favourites: bool,
    /// Only items whose prompt has these words (as `history search`).
    #[arg(long, value_name = "WORDS")]
    search: Option<String>,
    /// Print JSON instead of lines.
    #[arg(long)]
    json: bool,
}

pub async fn run(core: &Core, args: DatesArgs) -> Result<ExitCode, Error> {
    let mut query = GalleryQuery {
        model: args.model,
        favourite: args.favourites.then_some(true),
        text: args.search,
        ..Default::default()
    };
    let period = match &args.days {
        Some(month) => {
            let (from, until) = parse_local_date("days", month)?;
            (query.from, query.until) = (Some(from), Some(until));
            Period::Day
        }
        None => Period::Month,
    };
    let dates = core.gallery_dates(&query, period).await?;
    if args.json {
        println!("{}", to_json(&dates)?);
        return Ok(ExitCode::SUCCESS);
    }
    for d in &dates {
        let label = match d.day {
            Some(day) => format!("{}-{:02}-{day:02}", d.year, d.month),
            None => format!("{}-{:02}", d.year, d.month),
        };
        println!("{label:<10}  {:>9}", d.count);
    }
    Ok(ExitCode::SUCCESS)
}
