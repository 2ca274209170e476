//! How a prediction runs: one task per prediction moves it starting → processing → a terminal status
//! on the schedule fixed at create (knobs + Cancel-After), rendering the images off the runtime.

use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use tokio::time::{sleep_until, Instant};

use super::delivery::OutputFile;
use super::images::{Format, Render};
use super::inputs::Resolved;
use super::knobs::Knobs;
use super::models::{shrink, Model};
use super::prediction::Status;
use super::{ids, ReplicateFake};

const NSFW: &str = "All generated images contained NSFW content. Try running it again with a different prompt.";

/// Everything about a prediction's future, decided when it is created.
pub(super) struct Plan {
    /// Time spent `starting` (a fifth of `run`).
    queue: Duration,
    /// Created → finished.
    run: Duration,
    /// From `Cancel-After`, counted from creation.
    deadline: Option<Duration>,
    seed: u64,
    renders: Vec<Render>,
    /// How many images (the first ones) the safety filter drops.
    filtered: usize,
    failure: Option<String>,
    many: bool,
}

impl Plan {
    pub fn new(model: &Model, input: &Value, resolved: Resolved, knobs: &Knobs, deadline: Option<Duration>) -> Plan {
        // No seed → a random one, reported in the logs as cog-flux does.
        let seed = input["seed"].as_i64().map(|s| s as u64).unwrap_or_else(|| ids::random_u64() % 100_000);
        let format = input["output_format"].as_str().and_then(Format::parse).unwrap_or(model.default_format());
        let quality = input["output_quality"].as_u64().unwrap_or(80) as u8;
        let mut failure = resolved.failure.or_else(|| knobs.fail_with.clone());
        let size = model.size(input, resolved.dims).unwrap_or_else(|e| {
            failure.get_or_insert(e);
            (16, 16)
        });
        let (width, height) = knobs.image_side.map_or(size, |side| shrink(size, side));
        let renders =
            (0..model.num_outputs(input)).map(|index| Render { seed, index, width, height, format, quality }).collect();
        let run = Duration::from_millis(knobs.run_ms);
        Plan {
            queue: run / 5,
            run,
            deadline,
            seed,
            renders,
            filtered: knobs.filter_images as usize,
            failure,
            many: model.many_outputs(),
        }
    }

    /// The slow part, run on a blocking thread: the model's result.
    fn produce(&self) -> Result<Vec<(&Render, Vec<u8>)>, String> {
        if let Some(e) = &self.failure {
            return Err(e.clone());
        }
        let kept: Vec<&Render> = self.renders.iter().skip(self.filtered).collect();
        if kept.is_empty() {
            return Err(NSFW.into());
        }
        Ok(kept.into_iter().map(|r| (r, r.encode())).collect())
    }
}

pub(super) async fn drive(fake: ReplicateFake, id: String, plan: Plan) {
    let created = Instant::now();
    let start = created + plan.queue;
    let finish = created + plan.run;
    let deadline = plan.deadline.map(|d| created + d);

    // Cancel-After: before the model starts → aborted (not billed); while it runs → canceled.
    if let Some(d) = deadline.filter(|d| *d <= start) {
        sleep_until(d).await;
        fake.with_prediction(&id, |p| p.end(Status::Aborted, None));
        return;
    }
    sleep_until(start).await;
    if !fake.with_prediction(&id, |p| p.begin(plan.seed)) {
        return;
    }
    if let Some(d) = deadline.filter(|d| *d <= finish) {
        sleep_until(d).await;
        fake.with_prediction(&id, |p| p.end(Status::Canceled, None));
        return;
    }
    sleep_until(finish).await;
    if fake.with_prediction(&id, |p| p.status.is_terminal()) {
        return;
    }
    let Ok((plan, produced)) = tokio::task::spawn_blocking(move || {
        let produced = plan.produce().map(|images| {
            images.into_iter().map(|(r, bytes)| (r.index, r.format, r.width, r.height, bytes)).collect::<Vec<_>>()
        });
        (plan, produced)
    })
    .await
    else {
        return;
    };
    let mut state = fake.state();
    let base = state.delivery_url.clone();
    let Some(p) = state.prediction_mut(&id) else { return };
    if p.status.is_terminal() {
        return; // canceled while rendering
    }
    let images = match produced {
        Ok(images) => images,
        Err(e) => {
            p.end(Status::Failed, Some(e));
            return;
        }
    };
    let folder = ids::token(32);
    let mut files = Vec::new();
    let mut urls = Vec::new();
    for (index, format, width, height, bytes) in images {
        let path = format!("/xezq/{folder}/out-{index}.{}", format.ext());
        urls.push(format!("{base}{path}"));
        p.logs.push_str(&format!("fake: rendered image {index} at {width}x{height}\n"));
        let file =
            OutputFile { bytes: Bytes::from(bytes), content_type: format.content_type(), prediction: id.clone() };
        files.push((path, file));
    }
    p.logs.push_str(&format!("Total safe images: {} out of {}\n", urls.len(), plan.renders.len()));
    p.output = if plan.many { json!(urls) } else { json!(urls[0]) };
    p.end(Status::Succeeded, None);
    state.outputs.extend(files);
}
