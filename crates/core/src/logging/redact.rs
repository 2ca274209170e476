//! Scrubs secrets and personal data out of log text: bearer tokens, Replicate `r8_` keys, JWTs,
//! e-mail addresses and URL query strings (presigned image URLs carry their signature there).
//! Applied to every formatted event before it reaches a file or a terminal.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

struct Rule {
    pattern: Regex,
    replacement: &'static str,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |pattern: &str, replacement: &'static str| Rule {
        pattern: Regex::new(pattern).expect("redaction patterns are constant and valid"),
        replacement,
    };
    vec![
        // `Authorization: Bearer …` / `Token …`, in any case.
        rule(r"(?i)\b(bearer|token)(\s+|%20)[A-Za-z0-9\-._~+/]{8,}=*", "$1 <redacted>"),
        rule(r"\br8_[A-Za-z0-9]+", "r8_<redacted>"),
        rule(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", "<redacted-jwt>"),
        // `access_token=…`, `"refresh_token": "…"`, `apikey: …` outside of URLs, also as Debug prints
        // JSON (`\"token\":\"…\"`). `token` alone is the platform's key for several secrets.
        rule(
            r#"(?i)\b(access_token|refresh_token|provider_token|provider_refresh_token|id_token|auth_code|token|api_?key|client_secret|code_verifier|password)(\\?"?\s*[:=]\s*\\?"?)[^\s"&,}\\]+"#,
            "$1$2<redacted>",
        ),
        // Query strings carry signatures, codes and states; keep the path for debugging.
        rule(r#"((?:https?|wss?)://[^\s?#"'<>]+)\?[^\s#"'<>]*"#, "$1?<redacted>"),
        // The same parameters in a URL without a scheme (`127.0.0.1:5555/callback?state=…&code=…`).
        rule(r#"(?i)([?&](?:code|state)=)[^\s&#"'<>]+"#, "$1<redacted>"),
        // And percent-encoded inside another URL (`redirect_to=…%3Fstate%3D…`, `token%3D…`).
        rule(r#"(?i)(token|code|state)%3D[^\s&"'<>]+"#, "$1%3D<redacted>"),
        rule(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}", "<email>"),
    ]
});

/// Returns the text with every sensitive span replaced; borrows when nothing matched.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    for rule in RULES.iter() {
        if rule.pattern.is_match(&out) {
            out = Cow::Owned(rule.pattern.replace_all(&out, rule.replacement).into_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn bearer_and_token_headers() {
        let line = "sending Authorization: Bearer abcDEF123456789._-~+/= to host";
        assert_eq!(redact(line), "sending Authorization: Bearer <redacted> to host");
        assert_eq!(redact("authorization=token 0123456789abcdef"), "authorization=token <redacted>");
    }

    #[test]
    fn replicate_keys() {
        let out = redact("key r8_Hn2k9QwErTy12345 was rejected");
        assert_eq!(out, "key r8_<redacted> was rejected");
    }

    #[test]
    fn jwts() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlX3NpZw";
        assert_eq!(redact(&format!("session {jwt} ok")), "session <redacted-jwt> ok");
    }

    #[test]
    fn named_secret_fields() {
        let out = redact(r#"body {"refresh_token": "v1.abc-def", "code_verifier":"xyz"} access_token=qq"#);
        assert!(!out.contains("v1.abc-def") && !out.contains("xyz") && !out.contains("qq"), "{out}");
        assert!(out.contains("refresh_token") && out.contains("<redacted>"));
    }

    /// Every shape a secret reaches a log line in (issue #20): the secret goes, the key stays.
    #[test]
    fn secret_shapes_table() {
        let cases: &[(&str, &str, &str)] = &[
            // (line, the secret, what must still be there)
            (r#"{"provider_token":"gho_abcdef"}"#, "gho_abcdef", "provider_token"),
            (r#"{"provider_refresh_token": "prt-12345"}"#, "prt-12345", "provider_refresh_token"),
            ("id_token=idtok.part.sig", "idtok.part.sig", "id_token"),
            (r#"body {"auth_code":"ac-0000-1111","code_verifier":"cv-xyz"}"#, "ac-0000-1111", "auth_code"),
            (r#"answer {"token":"plat-secret-1"}"#, "plat-secret-1", r#""token":"#),
            ("token=plat-secret-2 kept", "plat-secret-2", "token=<redacted> kept"),
            (r#"Object {\"refresh_token\":\"rt-escaped\"}"#, "rt-escaped", r#"\"refresh_token\":\"<redacted>"#),
            (r#"Object {\"token\": \"tk-escaped\"}"#, "tk-escaped", r#"\"token\""#),
            ("GET 127.0.0.1:5555/callback?state=st-9&code=cd-8 HTTP/1.1", "st-9", "/callback?state=<redacted>"),
            ("GET /callback?code=cd-7&state=st-6", "cd-7", "/callback?code=<redacted>&state=<redacted>"),
            ("GET /callback?code=cd-7&state=st-6", "st-6", "/callback?code="),
            ("redirect_to=http%3A%2F%2F127.0.0.1%2Fcb%3Ftoken%3Dtk-enc%26x%3D1", "tk-enc", "token%3D<redacted>"),
            ("next=%2Fcb%3Fstate%3Dst-enc", "st-enc", "state%3D<redacted>"),
            ("ACCESS_TOKEN: at-upper", "at-upper", "ACCESS_TOKEN: <redacted>"),
        ];
        let mut failures = Vec::new();
        for (line, secret, kept) in cases {
            let out = redact(line);
            if out.contains(secret) || !out.contains(kept) {
                failures.push(format!("{line}\n  -> {out}\n  (secret {secret:?}, must keep {kept:?})"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn ordinary_words_near_the_keys_stay() {
        for line in ["checkout ended state=Paid", "the code answered 402", "token refused", "job 3 state=done"] {
            assert_eq!(redact(line), line);
        }
    }

    #[test]
    fn emails() {
        assert_eq!(redact("signed in as jane.doe+art@example.co.uk today"), "signed in as <email> today");
    }

    #[test]
    fn url_query_strings_but_not_paths() {
        let url = "https://pbxt.replicate.delivery/abc/out-0.webp?X-Amz-Signature=deadbeef&X-Amz-Expires=3600";
        assert_eq!(
            redact(&format!("download {url} done")),
            "download https://pbxt.replicate.delivery/abc/out-0.webp?<redacted> done"
        );
        let cb = "http://127.0.0.1:5555/callback?state=s3cr3t&code=c0de";
        assert_eq!(redact(cb), "http://127.0.0.1:5555/callback?<redacted>");
    }

    #[test]
    fn ordinary_text_is_untouched_and_borrowed() {
        let line = "purged 12 items (3.4 MB) in 41 ms from https://api.replicate.com/v1/predictions";
        let out = redact(line);
        assert!(matches!(out, std::borrow::Cow::Borrowed(_)));
        assert_eq!(out, line);
    }
}
