//! The platform's price lists: models (credits per image) and credit packs.

use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};

use super::PlatformFake;

pub(super) struct ModelPrice {
    pub id: &'static str,
    pub credits_per_image: i64,
    pub max_outputs: u64,
    pub enabled: bool,
}

pub(super) const MODELS: &[ModelPrice] = &[
    ModelPrice { id: "black-forest-labs/flux-schnell", credits_per_image: 1, max_outputs: 4, enabled: true },
    ModelPrice { id: "black-forest-labs/flux-dev", credits_per_image: 5, max_outputs: 4, enabled: true },
    ModelPrice { id: "black-forest-labs/flux-krea-dev", credits_per_image: 5, max_outputs: 4, enabled: true },
    ModelPrice { id: "black-forest-labs/flux-1.1-pro", credits_per_image: 8, max_outputs: 1, enabled: true },
    ModelPrice { id: "black-forest-labs/flux-kontext-pro", credits_per_image: 8, max_outputs: 1, enabled: true },
];

pub(super) fn model(owner: &str, name: &str) -> Option<&'static ModelPrice> {
    MODELS.iter().find(|m| m.enabled && m.id.split_once('/') == Some((owner, name)))
}

pub(super) struct Pack {
    pub id: &'static str,
    pub credits: i64,
    pub price_cents: i64,
}

pub(super) const PACKS: &[Pack] = &[
    Pack { id: "pack_100", credits: 100, price_cents: 500 },
    Pack { id: "pack_500", credits: 500, price_cents: 2000 },
    Pack { id: "pack_2000", credits: 2000, price_cents: 7000 },
];

pub(super) fn pack(id: &str) -> Option<&'static Pack> {
    PACKS.iter().find(|p| p.id == id)
}

pub(super) fn routes() -> Router<PlatformFake> {
    Router::new().route("/models", get(models)).route("/credits/packs", get(packs))
}

async fn models() -> Json<Vec<Value>> {
    Json(
        MODELS
            .iter()
            .map(|m| {
                json!({
                    "id": m.id,
                    "credits_per_image": m.credits_per_image,
                    "max_outputs": m.max_outputs,
                    "enabled": m.enabled,
                })
            })
            .collect(),
    )
}

async fn packs() -> Json<Vec<Value>> {
    Json(
        PACKS
            .iter()
            .map(|p| json!({ "id": p.id, "credits": p.credits, "price_cents": p.price_cents, "currency": "usd" }))
            .collect(),
    )
}
