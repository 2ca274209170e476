use flux_krea_fakes::replicate::ReplicateFake;
use flux_krea_fakes::RunningFake;

#[tokio::test]
async fn account_accepts_bearer_and_token_and_refuses_others_with_problem_json() {
    let fake = RunningFake::serve(ReplicateFake::new(["r8_good"]).router()).await.unwrap();
    let http = reqwest::Client::new();
    let url = format!("{}/v1/account", fake.url());

    for header in ["Bearer r8_good", "Token r8_good"] {
        let res = http.get(&url).header("Authorization", header).send().await.unwrap();
        assert_eq!(res.status(), 200, "{header}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["type"], "user");
        assert_eq!(body["username"], "fake-user");
    }

    for header in [None, Some("Bearer r8_bad"), Some("Basic r8_good")] {
        let mut req = http.get(&url);
        if let Some(h) = header {
            req = req.header("Authorization", h);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401, "{header:?}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], 401);
        assert!(body["detail"].as_str().unwrap().contains("authentication token"));
    }
}
