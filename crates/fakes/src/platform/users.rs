//! Who can sign in (one fixed identity per provider), the user record, `GET /me` and the avatars.

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder, Rgb, RgbImage};
use serde_json::{json, Value};

use super::consents::Consents;
use super::credits::Entry;
use super::privacy::StoredPrompt;
use super::tokens::Caller;
use super::{base_url, ids, now, PlatformFake, Store};

struct Identity {
    provider: &'static str,
    id: &'static str,
    name: &'static str,
    email: &'static str,
}

/// The fake skips the providers' consent screens: each provider always signs in the same person.
const IDENTITIES: [Identity; 2] = [
    Identity {
        provider: "google",
        id: "5f0c9a2e-6b1d-4c7e-9a3f-2d8e4b6a1c01",
        name: "Ada Lovelace",
        email: "ada@example.com",
    },
    Identity {
        provider: "github",
        id: "a7d3e1b9-4f2c-4e8a-b6d5-9c1f3e7a2b02",
        name: "Grace Hopper",
        email: "grace@example.com",
    },
];

pub(super) fn is_provider(name: &str) -> bool {
    IDENTITIES.iter().any(|i| i.provider == name)
}

pub(super) struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub provider: String,
    pub created_at: DateTime<Utc>,
    /// Whether the sign-in grant has been given (a user can exist before signing in, via `grant`).
    pub welcomed: bool,
    pub balance: i64,
    /// Oldest first.
    pub ledger: Vec<Entry>,
    pub consents: Consents,
    pub prompts: Vec<StoredPrompt>,
    pub prompts_erased: bool,
    pub images_erased: bool,
}

impl User {
    pub fn avatar_url(&self, base: &str) -> String {
        format!("{base}/avatars/{}.png", self.id)
    }

    /// `GET /me`.
    pub fn me(&self, base: &str) -> Value {
        json!({
            "id": self.id,
            "email": self.email,
            "name": self.name,
            "avatar_url": self.avatar_url(base),
            "provider": self.provider,
            "created_at": ids::rfc3339(self.created_at),
        })
    }

    /// The `user` object of a GoTrue token response.
    pub fn gotrue(&self, base: &str) -> Value {
        json!({
            "id": self.id,
            "aud": "authenticated",
            "role": "authenticated",
            "email": self.email,
            "app_metadata": { "provider": self.provider, "providers": [self.provider] },
            "user_metadata": { "full_name": self.name, "avatar_url": self.avatar_url(base), "email": self.email },
            "created_at": ids::rfc3339(self.created_at),
        })
    }
}

impl Store {
    /// The user with this e-mail, created (without the sign-in grant) if new.
    pub(super) fn ensure_user(&mut self, email: &str) -> String {
        if let Some(u) = self.user_by_email(email) {
            return u.id.clone();
        }
        let known = IDENTITIES.iter().find(|i| i.email.eq_ignore_ascii_case(email));
        let (id, name, provider) = match known {
            Some(i) => (i.id.to_string(), i.name.to_string(), i.provider.to_string()),
            None => (uuid_like(), email.split('@').next().unwrap_or(email).to_string(), "email".to_string()),
        };
        self.users.push(User {
            id: id.clone(),
            email: email.to_string(),
            name,
            provider,
            created_at: now(),
            welcomed: false,
            balance: 0,
            ledger: Vec::new(),
            consents: Consents::default(),
            prompts: Vec::new(),
            prompts_erased: false,
            images_erased: false,
        });
        id
    }

    /// Signs in the provider's identity; the first sign-in grants `initial_credits`.
    pub(super) fn sign_in(&mut self, provider: &str) -> Option<String> {
        let identity = IDENTITIES.iter().find(|i| i.provider == provider)?;
        let id = self.ensure_user(identity.email);
        let credits = self.knobs.initial_credits;
        if self.user(&id).is_some_and(|u| !u.welcomed) {
            self.post(&id, credits, "grant", None);
            if let Some(u) = self.user_mut(&id) {
                u.welcomed = true;
            }
        }
        Some(id)
    }
}

fn uuid_like() -> String {
    let hex = format!("{:016x}{:016x}", ids::random_u64(), ids::random_u64());
    format!("{}-{}-4{}-a{}-{}", &hex[..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..32])
}

pub(super) fn routes() -> Router<PlatformFake> {
    Router::new().route("/me", get(me))
}

async fn me(State(fake): State<PlatformFake>, Extension(caller): Extension<Caller>, headers: HeaderMap) -> Response {
    match fake.state().user(&caller.user_id) {
        Some(u) => Json(u.me(&base_url(&headers))).into_response(),
        None => super::missing(),
    }
}

pub(super) fn avatar_routes() -> Router<PlatformFake> {
    Router::new().route("/avatars/{file}", get(avatar))
}

/// A 64×64 PNG: a solid colour keyed by the user, with their initial in white.
async fn avatar(State(fake): State<PlatformFake>, Path(file): Path<String>) -> Response {
    let id = file.strip_suffix(".png").unwrap_or("");
    let Some(initial) = fake.state().user(id).and_then(|u| u.name.chars().next()) else {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    };
    let key = id.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    let colour = Rgb([60 + (key % 150) as u8, 60 + (key / 150 % 150) as u8, 60 + (key / 22500 % 150) as u8]);
    let mut img = RgbImage::from_pixel(64, 64, colour);
    draw_initial(&mut img, initial.to_ascii_uppercase());
    let mut png = Vec::new();
    // Writing to a Vec cannot fail, and the size matches the buffer.
    PngEncoder::new(&mut png).write_image(&img, 64, 64, ExtendedColorType::Rgb8).expect("png");
    ([(header::CONTENT_TYPE, "image/png"), (header::CACHE_CONTROL, "public, max-age=3600")], png).into_response()
}

/// 5×7 glyphs for the fixed identities' initials; other letters get a plain tile.
fn glyph(c: char) -> Option<[u8; 7]> {
    match c {
        'A' => Some([0b01110, 0b10001, 0b10001, 0b11111, 0b10001, 0b10001, 0b10001]),
        'G' => Some([0b01110, 0b10001, 0b10000, 0b10111, 0b10001, 0b10001, 0b01111]),
        _ => None,
    }
}

fn draw_initial(img: &mut RgbImage, c: char) {
    const SCALE: u32 = 6;
    let Some(rows) = glyph(c) else { return };
    let (left, top) = ((64 - 5 * SCALE) / 2, (64 - 7 * SCALE) / 2);
    for (row, bits) in rows.iter().enumerate() {
        for col in 0..5 {
            if bits & (0b10000 >> col) != 0 {
                for y in 0..SCALE {
                    for x in 0..SCALE {
                        img.put_pixel(left + col * SCALE + x, top + row as u32 * SCALE + y, Rgb([255, 255, 255]));
                    }
                }
            }
        }
    }
}
