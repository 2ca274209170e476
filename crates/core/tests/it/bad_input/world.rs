//! Shared world pieces: config, jobs, snapshots of what is stored.

use super::*;

pub(super) fn config(dir: &Path, replicate_url: &str, platform_url: Option<&str>) -> Config {
    let data = dir.join("data").display().to_string();
    let logs = dir.join("logs").display().to_string();
    let replicate = replicate_url.to_string();
    let platform = platform_url.map(str::to_string);
    Config::resolve(&dir.join("none.toml"), move |k| match k {
        "FLUX_KREA_DATA_DIR" => Some(data.clone()),
        "FLUX_KREA_LOG_DIR" => Some(logs.clone()),
        "FLUX_KREA_REPLICATE_URL" => Some(replicate.clone()),
        "FLUX_KREA_PLATFORM_URL" => platform.clone(),
        "FLUX_KREA_PLATFORM_ANON_KEY" => platform.as_ref().map(|_| ANON_KEY.to_string()),
        _ => None,
    })
    .unwrap()
}

pub(super) fn request(model: &str, inputs: &[(&str, InputValue)]) -> GenerationRequest {
    let inputs: BTreeMap<String, InputValue> = inputs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    GenerationRequest { model: model.into(), inputs, parent_id: None, exact_rerun: false, style: None }
}

pub(super) fn text(s: &str) -> InputValue {
    InputValue::Text(s.into())
}

pub(super) fn num(n: f64) -> InputValue {
    InputValue::Number(n)
}

pub(super) async fn finished(core: &Core, id: i32) -> Job {
    for _ in 0..3000 {
        let job = core.job(id).await.unwrap();
        if job.status.is_finished() {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} did not finish: {:?}", core.job(id).await);
}

/// What is stored: rows, the spend ledger, every file of the data folder (but the database itself),
/// and what reached the provider. Equal before and after a refused input: nothing written or lost.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Snapshot {
    pub(super) generations: Vec<(i64, String)>,
    pub(super) images: Vec<(i64, String)>,
    pub(super) ledger: Vec<(Option<i64>, f64, String)>,
    pub(super) files: Vec<(String, u64)>,
    pub(super) sent: String,
}

pub(super) async fn snapshot(core: &Core, sent: String) -> Snapshot {
    let pool = core.pool();
    Snapshot {
        generations: sqlx::query!("SELECT id, status FROM generations ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.id, r.status))
            .collect(),
        images: sqlx::query!("SELECT generation_id, file FROM images ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.generation_id, r.file))
            .collect(),
        ledger: sqlx::query!("SELECT generation_id, amount_usd, state FROM spend_ledger ORDER BY id")
            .fetch_all(pool)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.generation_id, r.amount_usd, r.state))
            .collect(),
        files: files_in(core.data_dir()),
        sent,
    }
}

/// Every file under `dir` (relative path, size), but the database and the runner's lock.
pub(super) fn files_in(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            let rel = path.strip_prefix(dir).unwrap().display().to_string();
            if path.is_dir() {
                out.push((format!("{rel}/"), 0));
                stack.push(path);
            } else if !rel.starts_with("history.db") && rel != "runner.lock" {
                out.push((rel, entry.metadata().map(|m| m.len()).unwrap_or(0)));
            }
        }
    }
    out.sort();
    out
}

pub(super) fn unchanged(before: &Snapshot, after: &Snapshot) -> Result<(), String> {
    if before == after {
        return Ok(());
    }
    let mut diff = Vec::new();
    if before.generations != after.generations {
        diff.push(format!("generations {:?} → {:?}", before.generations, after.generations));
    }
    if before.images != after.images {
        diff.push(format!("images {:?} → {:?}", before.images, after.images));
    }
    if before.ledger != after.ledger {
        diff.push(format!("spend ledger {:?} → {:?}", before.ledger, after.ledger));
    }
    if before.files != after.files {
        let added: Vec<_> = after.files.iter().filter(|f| !before.files.contains(f)).collect();
        let gone: Vec<_> = before.files.iter().filter(|f| !after.files.contains(f)).collect();
        diff.push(format!("files added {added:?}, removed {gone:?}"));
    }
    if before.sent != after.sent {
        diff.push(format!("sent to the provider: {} → {}", before.sent, after.sent));
    }
    Err(format!("something was written, sent or lost: {}", diff.join("; ")))
}

/// No temp or partial file anywhere in the data folder.
pub(super) fn no_partial_files(data_dir: &Path) -> Result<(), String> {
    let partial: Vec<String> = files_in(data_dir)
        .into_iter()
        .map(|(f, _)| f)
        .filter(|f| f.ends_with(".tmp") || f.ends_with(".part") || f.contains(".tmp."))
        .collect();
    if partial.is_empty() {
        Ok(())
    } else {
        Err(format!("partial files left: {partial:?}"))
    }
}
