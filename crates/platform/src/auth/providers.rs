//! Google and GitHub as OAuth clients of ours: the authorize URL (our state, our PKCE), the code
//! exchange with the client secret, and the verified profile (docs/wire-facts.md §OAuth providers).

use serde::Deserialize;
use serde_json::Value;
use url::Url;

use crate::app::App;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Provider {
    Google,
    GitHub,
}

impl Provider {
    pub fn parse(name: &str) -> Option<Provider> {
        match name {
            "google" => Some(Provider::Google),
            "github" => Some(Provider::GitHub),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Google => "google",
            Provider::GitHub => "github",
        }
    }
}

/// Who the provider says signed in.
pub struct Profile {
    pub subject: String,
    pub email: String,
    pub email_verified: bool,
    pub name: String,
    pub avatar_url: Option<String>,
}

/// Why a callback could not sign in; the message never carries a token or an e-mail.
pub struct Refused(pub String);

pub fn authorize_url(app: &App, provider: Provider, state: &str, challenge: &str) -> Url {
    let up = &app.config().upstreams;
    let callback = app.public("/auth/v1/callback");
    let (mut url, client_id, scope) = match provider {
        Provider::Google => (up.google_auth.clone(), &app.config().google.client_id, "openid email profile"),
        Provider::GitHub => {
            (join(&up.github, "/login/oauth/authorize"), &app.config().github.client_id, "read:user user:email")
        }
    };
    url.query_pairs_mut()
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", &callback)
        .append_pair("response_type", "code")
        .append_pair("scope", scope)
        .append_pair("state", state)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    url
}

fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
    url
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    error: Option<String>,
}

/// Exchanges the provider's code and reads the profile.
pub async fn profile(app: &App, provider: Provider, code: &str, verifier: &str) -> Result<Profile, Refused> {
    let (token_url, client) = match provider {
        Provider::Google => (app.config().upstreams.google_token.clone(), &app.config().google),
        Provider::GitHub => (join(&app.config().upstreams.github, "/login/oauth/access_token"), &app.config().github),
    };
    let callback = app.public("/auth/v1/callback");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", &callback),
        ("client_id", &client.client_id),
        ("client_secret", client.client_secret.expose()),
        ("code_verifier", verifier),
    ];
    let res = app.http().post(token_url).header("accept", "application/json").form(&form).send().await;
    let res = res.map_err(|e| Refused(format!("{} token endpoint unreachable: {e}", provider.as_str())))?;
    let status = res.status();
    let answer: TokenAnswer =
        res.json().await.map_err(|_| Refused(format!("{} token answer unreadable", provider.as_str())))?;
    // GitHub reports errors with HTTP 200 and an `error` key.
    let access = match (status.is_success(), answer.error, answer.access_token) {
        (true, None, Some(token)) => token,
        (_, error, _) => {
            return Err(Refused(format!(
                "{} refused the code ({status}, {})",
                provider.as_str(),
                error.unwrap_or_default()
            )))
        }
    };
    match provider {
        Provider::Google => google_profile(app, &access).await,
        Provider::GitHub => github_profile(app, &access).await,
    }
}

async fn get_json(app: &App, url: Url, token: &str) -> Result<Value, Refused> {
    let res = app
        .http()
        .get(url)
        .bearer_auth(token)
        .header("accept", "application/json")
        .header("user-agent", "flux-krea-platform")
        .send()
        .await
        .map_err(|e| Refused(format!("profile endpoint unreachable: {e}")))?;
    if !res.status().is_success() {
        return Err(Refused(format!("profile endpoint answered {}", res.status())));
    }
    res.json().await.map_err(|_| Refused("profile answer unreadable".into()))
}

async fn google_profile(app: &App, access: &str) -> Result<Profile, Refused> {
    let info = get_json(app, app.config().upstreams.google_userinfo.clone(), access).await?;
    let text = |k: &str| info[k].as_str().map(str::to_string);
    Ok(Profile {
        subject: text("sub").ok_or_else(|| Refused("userinfo without sub".into()))?,
        email: text("email").unwrap_or_default(),
        email_verified: info["email_verified"] == true || info["email_verified"] == "true",
        name: text("name").unwrap_or_default(),
        avatar_url: text("picture"),
    })
}

async fn github_profile(app: &App, access: &str) -> Result<Profile, Refused> {
    let api = &app.config().upstreams.github_api;
    let user = get_json(app, join(api, "/user"), access).await?;
    let emails = get_json(app, join(api, "/user/emails"), access).await?;
    // The primary address, and only if GitHub has verified it.
    let primary = emails.as_array().into_iter().flatten().find(|e| e["primary"] == true);
    let subject = match &user["id"] {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(Refused("GitHub user without id".into())),
    };
    let login = user["login"].as_str().unwrap_or_default();
    Ok(Profile {
        subject,
        email: primary.and_then(|e| e["email"].as_str()).unwrap_or_default().to_string(),
        email_verified: primary.is_some_and(|e| e["verified"] == true),
        name: user["name"].as_str().filter(|n| !n.is_empty()).unwrap_or(login).to_string(),
        avatar_url: user["avatar_url"].as_str().map(str::to_string),
    })
}
