//! The hosted Checkout page at the session's `url` (checkout.stripe.com in production): GET shows
//! what is being bought with a Pay button and a link back to `cancel_url`; POST (the button) pays and
//! redirects (303) to `success_url` with `{CHECKOUT_SESSION_ID}` replaced, as Stripe does.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::{payments, StripeFake};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn gone() -> Response {
    (StatusCode::GONE, Html("<!doctype html><title>Checkout</title><p>This Checkout Session is no longer active.</p>"))
        .into_response()
}

pub(super) async fn show(State(fake): State<StripeFake>, Path(sid): Path<String>) -> Response {
    payments::expire_due(&fake);
    let Some(s) = fake.session(&sid) else { return (StatusCode::NOT_FOUND, Html("<p>Not found</p>")).into_response() };
    if s["status"] != "open" {
        return gone();
    }
    let amount = s["amount_total"].as_i64().unwrap_or(0);
    let currency = s["currency"].as_str().unwrap_or("").to_uppercase();
    let items: String = {
        let state = fake.state();
        let session = state.sessions.iter().find(|x| x.id == sid);
        session
            .into_iter()
            .flat_map(|x| &x.items)
            .map(|i| format!("<li>{} × {}</li>", i.quantity, escape(&i.name)))
            .collect()
    };
    let cancel = s["cancel_url"].as_str().map(|u| format!("<p><a id=\"cancel\" href=\"{}\">Cancel</a></p>", escape(u)));
    Html(format!(
        "<!doctype html><html><head><title>Checkout (fake Stripe)</title></head><body>\
         <h1>Pay {}.{:02} {currency}</h1><ul>{items}</ul><p>Test mode: no money moves.</p>\
         <form method=\"post\" action=\"/c/pay/{sid}\"><button id=\"pay\" type=\"submit\">Pay</button></form>{}\
         </body></html>",
        amount / 100,
        amount % 100,
        cancel.unwrap_or_default(),
        sid = escape(&sid),
    ))
    .into_response()
}

pub(super) async fn pay(State(fake): State<StripeFake>, Path(sid): Path<String>) -> Response {
    payments::expire_due(&fake);
    match payments::pay(&fake, &sid, None) {
        Ok(s) => {
            let to = s["success_url"].as_str().unwrap_or("/").replace("{CHECKOUT_SESSION_ID}", &sid);
            Redirect::to(&to).into_response()
        }
        Err(_) if fake.session(&sid).is_some() => gone(),
        Err(_) => (StatusCode::NOT_FOUND, Html("<p>Not found</p>")).into_response(),
    }
}
